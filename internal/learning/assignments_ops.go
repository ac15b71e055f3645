package learning

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/op"
)

// AssignInput is the input of courses.assign.
type AssignInput struct {
	CourseIDParam
	Body Assign
}

// AssignByBodyInput is the input of courses.assign_by_body: Zapier's Assign
// Course, the course named in the body.
type AssignByBodyInput struct {
	Body Assign
}

// AssignedOutput carries the outcome of an assignment.
type AssignedOutput struct {
	Body Assigned
}

// AssignCoursesInput is the input of users.assign_courses.
type AssignCoursesInput struct {
	ID   string `path:"id" maxLength:"64" doc:"User id"`
	Body AssignCourses
}

// AssignmentsOutput carries enrollments (Konstantly's shape).
type AssignmentsOutput struct {
	Body struct {
		Assignments []Assignment `json:"assignments"`
	}
}

// CourseUserParam addresses one user's enrollment in a course.
type CourseUserParam struct {
	CourseIDParam
	UserID string `path:"userId" maxLength:"64" doc:"User id"`
}

// CourseGroupParam addresses a course's assignment to a group.
type CourseGroupParam struct {
	CourseIDParam
	GroupID int64 `path:"groupId" minimum:"1" doc:"Group id"`
}

// ListCourseUsersInput is the input of courses.list_assigned_users.
type ListCourseUsersInput struct {
	CourseIDParam
	Offset int    `query:"offset" minimum:"0" default:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Status string `query:"status" enum:"assigned,in_progress,completed,overdue" doc:"Only enrollments with this status"`
}

// ListCourseGroupsInput is the input of courses.list_assigned_groups.
type ListCourseGroupsInput struct {
	CourseIDParam
	Offset int `query:"offset" minimum:"0" default:"0"`
	Limit  int `query:"limit" minimum:"1" maximum:"100" default:"20"`
}

// ListUserCoursesInput is the input of users.list_courses.
type ListUserCoursesInput struct {
	ID     string `path:"id" maxLength:"64" doc:"User id"`
	Offset int    `query:"offset" minimum:"0" default:"0"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Status string `query:"status" enum:"assigned,in_progress,completed,overdue" doc:"Only enrollments with this status"`
}

// AssignmentPageOutput carries a page of enrollments.
type AssignmentPageOutput struct {
	Body AssignmentPage
}

// GroupAssignmentPageOutput carries a page of group rules.
type GroupAssignmentPageOutput struct {
	Body GroupAssignmentPage
}

func (s *Service) assignmentOps() []op.Any {
	const tag = "Assignments"
	assign := func(ctx context.Context, p access.Principal, in *AssignInput) (*AssignedOutput, error) {
		id, err := s.AssignTarget(ctx, p.WorkspaceID, in.ID, in.Body)
		if err != nil {
			return nil, err
		}
		out, err := s.AssignCourse(ctx, p.WorkspaceID, id, in.Body)
		return &AssignedOutput{Body: out}, err
	}
	const assignDoc = "`users` are enrolled directly. Each of `groups` becomes a rule: its present and future members (and with " +
		"`includeSubgroups`, those of its subgroups) are enrolled, and a member who leaves loses the enrollment unless it has " +
		"progress or another source. Users enrolled already keep their enrollment (a given `deadlineAt` becomes its deadline). " +
		"Unknown ids are refused by index (`users[3]`, `groups[0]`) and nothing is written. One `course.assigned` event is " +
		"recorded, with `enrollment.created` for each direct user newly enrolled."
	userCourses := func(ctx context.Context, p access.Principal, in *ListUserCoursesInput) (*AssignmentPageOutput, error) {
		page, err := s.ListUserCourses(ctx, p.WorkspaceID, in.ID, AssignmentFilter{Status: in.Status, Offset: in.Offset, Limit: in.Limit})
		return &AssignmentPageOutput{Body: page}, err
	}
	return []op.Any{
		&op.Op[AssignInput, AssignedOutput]{
			ID: "courses.assign", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses/{id}/assign",
			Summary: "Assign a course to users and groups", Run: assign,
			Description: assignDoc + " `courseId` or `courseExternalId` in the body, as Zapier sends them, must name this " +
				"same course (422 naming the field otherwise).",
		},
		&op.Op[AssignByBodyInput, AssignedOutput]{
			ID: "courses.assign_by_body", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses/assign",
			Summary: "Assign a course named in the body (Zapier)", Compat: true,
			Description: "Zapier's Assign Course: `{courseId, users, groups, deadlineAt}`. Instead of `courseId`, " +
				"`courseExternalId` names an imported course by the `courseId` it was imported with (its `externalId`), " +
				"with no look-up step. Otherwise the same as `POST /courses/{id}/assign`: " + assignDoc,
			Run: func(ctx context.Context, p access.Principal, in *AssignByBodyInput) (*AssignedOutput, error) {
				return assign(ctx, p, &AssignInput{Body: in.Body})
			},
		},
		&op.Op[AssignInput, AssignedOutput]{
			ID: "courses.create_assignments", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses/{id}/assignments",
			Summary: "Assign a course (Konstantly)", Description: "The same as `POST /courses/{id}/assign`.", Compat: true, Run: assign,
		},
		&op.Op[AssignCoursesInput, AssignmentsOutput]{
			ID: "users.assign_courses", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/users/{id}/assignments",
			Summary: "Assign courses to a user",
			Description: "Konstantly's shape: `courses` is a list of course ids; the answer lists the user's enrollments in them. " +
				"Unknown or archived courses are refused by index (`courses[1]`).",
			Run: func(ctx context.Context, p access.Principal, in *AssignCoursesInput) (*AssignmentsOutput, error) {
				list, err := s.AssignCoursesToUser(ctx, p.WorkspaceID, in.ID, in.Body)
				out := &AssignmentsOutput{}
				out.Body.Assignments = list
				return out, err
			},
		},
		&op.Op[CourseUserParam, NoContent]{
			ID: "courses.unassign_user", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodDelete,
			Path: "/courses/{id}/assignments/users/{userId}", Status: http.StatusNoContent, Summary: "Unassign a course from a user",
			Description: "Removes the direct assignment. The enrollment stays while a group still grants it, or when it has progress.",
			Run: func(ctx context.Context, p access.Principal, in *CourseUserParam) (*NoContent, error) {
				return &NoContent{}, s.UnassignUser(ctx, p.WorkspaceID, in.ID, in.UserID)
			},
		},
		&op.Op[CourseGroupParam, NoContent]{
			ID: "courses.unassign_group", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodDelete,
			Path: "/courses/{id}/assignments/groups/{groupId}", Status: http.StatusNoContent, Summary: "Unassign a course from a group",
			Description: "Removes the group rule. Enrollments no other rule grants go, unless direct or with progress.",
			Run: func(ctx context.Context, p access.Principal, in *CourseGroupParam) (*NoContent, error) {
				return &NoContent{}, s.UnassignGroup(ctx, p.WorkspaceID, in.ID, in.GroupID)
			},
		},
		&op.Op[ListCourseUsersInput, AssignmentPageOutput]{
			ID: "courses.list_assigned_users", Tag: tag, Scope: access.CoursesRead, Method: http.MethodGet,
			Path: "/courses/{id}/assignments/users", Summary: "List a course's enrolled users",
			Description: "Every enrollment in the course (direct or through groups) with its user, progress and source.",
			Run: func(ctx context.Context, p access.Principal, in *ListCourseUsersInput) (*AssignmentPageOutput, error) {
				page, err := s.ListCourseUsers(ctx, p.WorkspaceID, in.ID, AssignmentFilter{Status: in.Status, Offset: in.Offset, Limit: in.Limit})
				return &AssignmentPageOutput{Body: page}, err
			},
		},
		&op.Op[ListCourseGroupsInput, GroupAssignmentPageOutput]{
			ID: "courses.list_assigned_groups", Tag: tag, Scope: access.CoursesRead, Method: http.MethodGet,
			Path: "/courses/{id}/assignments/groups", Summary: "List the groups a course is assigned to",
			Run: func(ctx context.Context, p access.Principal, in *ListCourseGroupsInput) (*GroupAssignmentPageOutput, error) {
				page, err := s.ListCourseGroups(ctx, p.WorkspaceID, in.ID, in.Offset, in.Limit)
				return &GroupAssignmentPageOutput{Body: page}, err
			},
		},
		&op.Op[ListUserCoursesInput, AssignmentPageOutput]{
			ID: "users.list_courses", Tag: tag, Scope: access.CoursesRead, Method: http.MethodGet, Path: "/users/{id}/courses",
			Summary: "List a user's courses", Description: "The user's enrollments with their courses, progress and source.",
			Run: userCourses,
		},
		&op.Op[ListUserCoursesInput, AssignmentPageOutput]{
			ID: "users.list_assignments", Tag: tag, Scope: access.CoursesRead, Method: http.MethodGet, Path: "/users/{id}/assignments",
			Summary: "List a user's courses (Konstantly)", Description: "The same as `GET /users/{id}/courses`.", Compat: true,
			Run: userCourses,
		},
	}
}
