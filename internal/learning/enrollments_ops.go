package learning

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/op"
)

// RecordProgressInput is the input of enrollments.record_progress.
type RecordProgressInput struct {
	CourseUserParam
	Body ProgressInput
}

// CompleteEnrollmentInput is the input of enrollments.complete.
type CompleteEnrollmentInput struct {
	CourseUserParam
	Body *CompleteInput `required:"false"`
}

// AssignmentOutput carries one enrollment.
type AssignmentOutput struct {
	Body Assignment
}

// GroupStatisticsOutput carries a group's statistics.
type GroupStatisticsOutput struct {
	Body GroupStatistics
}

// WorkspaceStatisticsOutput carries the workspace's statistics.
type WorkspaceStatisticsOutput struct {
	Body WorkspaceStatistics
}

// CourseStatisticsOutput carries a course's statistics.
type CourseStatisticsOutput struct {
	Body CourseStatistics
}

// Ops lists every learning operation for the registry.
func (s *Service) Ops() []op.Any {
	ops := append(s.courseOps(), s.assignmentOps()...)
	return append(ops, s.enrollmentOps()...)
}

func (s *Service) enrollmentOps() []op.Any {
	return []op.Any{
		&op.Op[CourseUserParam, AssignmentOutput]{
			ID: "enrollments.get", Tag: "Assignments", Scope: access.CoursesRead, Method: http.MethodGet,
			Path: "/courses/{id}/enrollments/{userId}", Summary: "Get a user's enrollment in a course",
			Run: func(ctx context.Context, p access.Principal, in *CourseUserParam) (*AssignmentOutput, error) {
				a, err := s.GetEnrollment(ctx, p.WorkspaceID, in.ID, in.UserID)
				return &AssignmentOutput{Body: a}, err
			},
		},
		&op.Op[RecordProgressInput, AssignmentOutput]{
			ID: "enrollments.record_progress", Tag: "Assignments", Scope: access.CoursesWrite, Method: http.MethodPost,
			Path: "/courses/{id}/enrollments/{userId}/progress", Summary: "Record progress",
			Description: "The first progress starts the enrollment; progress never goes down; 100 (or `completed: true`) " +
				"completes it. Repeating a call changes nothing. Records enrollment.started, .progressed and .completed.",
			Run: func(ctx context.Context, p access.Principal, in *RecordProgressInput) (*AssignmentOutput, error) {
				a, err := s.RecordProgress(ctx, p.WorkspaceID, in.ID, in.UserID, in.Body)
				return &AssignmentOutput{Body: a}, err
			},
		},
		&op.Op[CompleteEnrollmentInput, AssignmentOutput]{
			ID: "enrollments.complete", Tag: "Assignments", Scope: access.CoursesWrite, Method: http.MethodPost,
			Path: "/courses/{id}/enrollments/{userId}/complete", Summary: "Complete a course for a user",
			Description: "Progress becomes 100 and the enrollment completed; an optional `resultValue` is the score.",
			Run: func(ctx context.Context, p access.Principal, in *CompleteEnrollmentInput) (*AssignmentOutput, error) {
				var body CompleteInput
				if in.Body != nil {
					body = *in.Body
				}
				a, err := s.CompleteEnrollment(ctx, p.WorkspaceID, in.ID, in.UserID, body)
				return &AssignmentOutput{Body: a}, err
			},
		},
		&op.Op[struct{}, WorkspaceStatisticsOutput]{
			ID: "statistics.workspace", Tag: "Statistics", Scope: access.CoursesRead, Method: http.MethodGet, Path: "/statistics",
			Summary:     "Workspace statistics",
			Description: "Konstantly's totals (courses, enrollments, groups, users) and lists, plus enrollments by status.",
			Run: func(ctx context.Context, p access.Principal, _ *struct{}) (*WorkspaceStatisticsOutput, error) {
				st, err := s.WorkspaceStatistics(ctx, p.WorkspaceID)
				return &WorkspaceStatisticsOutput{Body: st}, err
			},
		},
		&op.Op[directory.GroupIDParam, GroupStatisticsOutput]{
			ID: "statistics.group", Tag: "Statistics", Scope: access.CoursesRead, Method: http.MethodGet, Path: "/groups/{id}/statistics",
			Summary:     "Group statistics",
			Description: "The enrollments of the group's direct members by status, with Konstantly's lists.",
			Run: func(ctx context.Context, p access.Principal, in *directory.GroupIDParam) (*GroupStatisticsOutput, error) {
				st, err := s.GroupStatistics(ctx, p.WorkspaceID, in.ID)
				return &GroupStatisticsOutput{Body: st}, err
			},
		},
		&op.Op[CourseIDParam, CourseStatisticsOutput]{
			ID: "statistics.course", Tag: "Statistics", Scope: access.CoursesRead, Method: http.MethodGet, Path: "/courses/{id}/statistics",
			Summary: "Course statistics", Description: "The course's enrollments by status.",
			Run: func(ctx context.Context, p access.Principal, in *CourseIDParam) (*CourseStatisticsOutput, error) {
				st, err := s.CourseStatistics(ctx, p.WorkspaceID, in.ID)
				return &CourseStatisticsOutput{Body: st}, err
			},
		},
	}
}
