package learning

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/op"
)

// CreateCourseInput is the input of courses.create.
type CreateCourseInput struct {
	Body CourseCreate
}

// UpdateCourseInput is the input of courses.update.
type UpdateCourseInput struct {
	CourseIDParam
	Body CourseUpdate
}

// ListCoursesInput is the input of courses.list.
type ListCoursesInput struct {
	Offset     int    `query:"offset" minimum:"0" default:"0" doc:"Number of courses to skip"`
	Limit      int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Query      string `query:"query" maxLength:"200" doc:"Matches part of the name, case-insensitive"`
	Status     string `query:"status" enum:"active,archived" doc:"Only courses with this status"`
	Category   string `query:"category" maxLength:"200" doc:"Only courses of this category"`
	ExternalID string `query:"externalId" maxLength:"128" doc:"The course with this external id"`
}

// CourseOutput carries one course.
type CourseOutput struct {
	Body Course
}

// CoursePageOutput carries a page of courses.
type CoursePageOutput struct {
	Body CoursePage
}

// ImportInput is the input of courses.import.
type ImportInput struct {
	Body ImportRequest
}

// ImportOutput carries per-item results.
type ImportOutput struct {
	Body ImportOutcome
}

func (s *Service) courseOps() []op.Any {
	const tag = "Courses"
	update := func(ctx context.Context, p access.Principal, in *UpdateCourseInput) (*CourseOutput, error) {
		c, err := s.UpdateCourse(ctx, p.WorkspaceID, in.ID, in.Body)
		return &CourseOutput{Body: c}, err
	}
	setArchived := func(archived bool) func(context.Context, access.Principal, *CourseIDParam) (*CourseOutput, error) {
		return func(ctx context.Context, p access.Principal, in *CourseIDParam) (*CourseOutput, error) {
			c, err := s.SetArchived(ctx, p.WorkspaceID, in.ID, archived)
			return &CourseOutput{Body: c}, err
		}
	}
	return []op.Any{
		&op.Op[CreateCourseInput, CourseOutput]{
			ID: "courses.create", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses",
			Status: http.StatusCreated, Summary: "Create a course",
			Run: func(ctx context.Context, p access.Principal, in *CreateCourseInput) (*CourseOutput, error) {
				c, err := s.CreateCourse(ctx, p.WorkspaceID, in.Body)
				return &CourseOutput{Body: c}, err
			},
		},
		&op.Op[ListCoursesInput, CoursePageOutput]{
			ID: "courses.list", Tag: tag, Scope: access.CoursesRead, Method: http.MethodGet, Path: "/courses",
			Summary:     "List courses",
			Description: "Courses sorted by name, `limit` at a time from `offset`, with the total count.",
			Run: func(ctx context.Context, p access.Principal, in *ListCoursesInput) (*CoursePageOutput, error) {
				page, err := s.ListCourses(ctx, p.WorkspaceID, CourseFilter{Query: in.Query, Status: in.Status,
					Category: in.Category, ExternalID: in.ExternalID, Offset: in.Offset, Limit: in.Limit})
				return &CoursePageOutput{Body: page}, err
			},
		},
		&op.Op[CourseIDParam, CourseOutput]{
			ID: "courses.get", Tag: tag, Scope: access.CoursesRead, Method: http.MethodGet, Path: "/courses/{id}",
			Summary: "Get a course",
			Run: func(ctx context.Context, p access.Principal, in *CourseIDParam) (*CourseOutput, error) {
				c, err := s.GetCourse(ctx, p.WorkspaceID, in.ID)
				return &CourseOutput{Body: c}, err
			},
		},
		&op.Op[UpdateCourseInput, CourseOutput]{
			ID: "courses.update", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPut, Path: "/courses/{id}",
			Summary: "Update a course", Description: "Partial update: fields left out keep their values.", Run: update,
		},
		&op.Op[UpdateCourseInput, CourseOutput]{
			ID: "courses.patch", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPatch, Path: "/courses/{id}",
			Summary: "Update a course (PATCH)", Description: "The same as `PUT /courses/{id}`.", Compat: true, Run: update,
		},
		&op.Op[CourseIDParam, CourseOutput]{
			ID: "courses.archive", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses/{id}/archive",
			Summary: "Archive a course",
			Description: "Enrollments and progress stay; the course takes no new assignments and group assignments stop " +
				"enrolling new members. Archiving an archived course changes nothing.",
			Run: setArchived(true),
		},
		&op.Op[CourseIDParam, CourseOutput]{
			ID: "courses.unarchive", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses/{id}/unarchive",
			Summary: "Unarchive a course", Description: "Group assignments apply again, including to members who joined meanwhile.",
			Run: setArchived(false),
		},
		&op.Op[CourseIDParam, NoContent]{
			ID: "courses.delete", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodDelete, Path: "/courses/{id}",
			Status: http.StatusNoContent, Summary: "Delete a course",
			Description: "Deletes the course with its assignments and every enrollment in it, progress included. Archive to keep history.",
			Run: func(ctx context.Context, p access.Principal, in *CourseIDParam) (*NoContent, error) {
				return &NoContent{}, s.DeleteCourse(ctx, p.WorkspaceID, in.ID)
			},
		},
		&op.Op[ImportInput, ImportOutput]{
			ID: "courses.import", Tag: tag, Scope: access.CoursesWrite, Method: http.MethodPost, Path: "/courses/courses-exporter/public/import",
			Summary: "Import courses (upsert by courseId)",
			Description: "Up to 10,000 courses per call, matched on `courseId` (the exporter's id, stored as `externalId`): new ones " +
				"are created, changed ones updated, identical ones left alone — so repeating a call changes nothing. Each item is " +
				"validated on its own and reported in `results` by index; the valid items are written together in one " +
				"transaction. An item sets every field: fields left out are reset to their defaults. One `course.imported` " +
				"event reports the call.",
			MaxBodyBytes: 64 << 20,
			Run: func(ctx context.Context, p access.Principal, in *ImportInput) (*ImportOutput, error) {
				out, err := s.ImportCourses(ctx, p.WorkspaceID, in.Body)
				return &ImportOutput{Body: out}, err
			},
		},
	}
}
