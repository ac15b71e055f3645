package learning

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// ProgressInput records how far a user is in a course.
type ProgressInput struct {
	Progress    int  `json:"progress" minimum:"0" maximum:"100" doc:"Percent done; progress never goes down, and 100 completes the course"`
	ResultValue *int `json:"resultValue,omitempty" minimum:"0" maximum:"100" doc:"Score 0–100"`
	Completed   bool `json:"completed,omitempty" doc:"Complete the course now (progress becomes 100)"`
}

// CompleteInput completes a course for a user.
type CompleteInput struct {
	ResultValue *int `json:"resultValue,omitempty" minimum:"0" maximum:"100" doc:"Score 0–100"`
}

// RecordProgress updates a user's enrollment. The first progress starts it
// (enrollment.started); a higher value records enrollment.progressed;
// reaching 100 or completed completes it (enrollment.completed). Progress
// never decreases and a completed enrollment stays completed, so repeating a
// call changes nothing. An overdue enrollment stays overdue until completed.
func (s *Service) RecordProgress(ctx context.Context, workspaceID, courseID int64, userID string, in ProgressInput) (Assignment, error) {
	var f fault.Fields
	if in.Progress < 0 || in.Progress > 100 {
		f.Add("progress", "must be 0 to 100")
	}
	if in.ResultValue != nil && (*in.ResultValue < 0 || *in.ResultValue > 100) {
		f.Add("resultValue", "must be 0 to 100")
	}
	if err := f.Err(); err != nil {
		return Assignment{}, err
	}
	var out Assignment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, _, e, err := s.enrollmentOf(ctx, tx, workspaceID, courseID, userID, true)
		if err != nil {
			return err
		}
		types := applyProgress(&e, in, s.timestamp().UnixMilli())
		if len(types) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET status = $1, started_at = $2, completed_at = $3, progress = $4,
				result = $5, updated_at = $6 WHERE course_id = $7 AND user_id = $8`,
				e.status, e.startedAt, e.completedAt, e.progress, e.result, e.updatedAt, e.courseID, e.userID); err != nil {
				return fmt.Errorf("write progress: %w", err)
			}
		}
		views, err := s.show(ctx, tx, []enrollmentRow{e}, true, true)
		if err != nil {
			return err
		}
		out = views[0]
		for _, typ := range types {
			if _, err := s.events.Record(ctx, tx, workspaceID, typ, out); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Assignment{}, fmt.Errorf("record progress of user %s in course %d: %w", userID, courseID, err)
	}
	return out, nil
}

// applyProgress changes e and returns the event types to record, none when
// nothing changed.
func applyProgress(e *enrollmentRow, in ProgressInput, now int64) []string {
	if e.completedAt != nil {
		return nil
	}
	var types []string
	complete := in.Completed || in.Progress >= 100
	if e.startedAt == nil && (in.Progress > 0 || complete) {
		e.startedAt = &now
		types = append(types, EventEnrollmentStarted)
	}
	target := in.Progress
	if complete {
		target = 100
	}
	if target > e.progress {
		e.progress = target
		types = append(types, EventEnrollmentProgressed)
	}
	if in.ResultValue != nil && (e.result == nil || *e.result != *in.ResultValue) {
		v := *in.ResultValue
		e.result = &v
		if len(types) == 0 {
			types = append(types, EventEnrollmentProgressed)
		}
	}
	switch {
	case complete:
		e.completedAt, e.status = &now, StatusCompleted
		types = append(types, EventEnrollmentCompleted)
	case e.startedAt != nil && e.status == StatusAssigned:
		e.status = StatusInProgress
	}
	if len(types) > 0 {
		e.updatedAt = now
	}
	return types
}

// CompleteEnrollment completes a user's course (RecordProgress with
// completed).
func (s *Service) CompleteEnrollment(ctx context.Context, workspaceID, courseID int64, userID string, in CompleteInput) (Assignment, error) {
	return s.RecordProgress(ctx, workspaceID, courseID, userID, ProgressInput{Progress: 100, ResultValue: in.ResultValue, Completed: true})
}

// AssignCourses is the input of users.assign_courses (Konstantly's
// POST /users/{id}/assignments).
type AssignCourses struct {
	Courses    []op.ID `json:"courses" minItems:"1" maxItems:"100" doc:"Course ids (2 or \"2\")"`
	DeadlineAt int64   `json:"deadlineAt,omitempty" minimum:"0" maximum:"253402300799" doc:"Unix seconds; 0 for none"`
	AssignAt   int64   `json:"assignAt,omitempty" minimum:"0" doc:"Scheduled assignment: not supported, so only 0 or a time not in the future"`
}

// AssignCoursesToUser enrolls one user directly in several courses and
// returns those enrollments. Unknown or archived courses are invalid input
// naming courses[i]; nothing is written then.
func (s *Service) AssignCoursesToUser(ctx context.Context, workspaceID int64, userID string, in AssignCourses) ([]Assignment, error) {
	now := s.timestamp()
	if len(in.Courses) == 0 || len(in.Courses) > MaxAssignCourses {
		return nil, fault.Invalid("courses", "must hold 1 to %d course ids", MaxAssignCourses)
	}
	if err := checkTiming(in.DeadlineAt, in.AssignAt, now); err != nil {
		return nil, err
	}
	var out []Assignment
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := directory.LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		u, err := directory.FindUser(ctx, tx, workspaceID, userID)
		if err != nil {
			return err
		}
		courses, err := s.resolveCourses(ctx, tx, workspaceID, op.IDs(in.Courses))
		if err != nil {
			return err
		}
		keys := make([]enrollmentKey, len(courses))
		for i := range courses {
			c := &courses[i]
			n, err := s.assignUsers(ctx, tx, c, []directory.UserRef{u}, millis(in.DeadlineAt), now)
			if err != nil {
				return err
			}
			ev := AssignedEvent{Course: c.ref(), Users: []directory.ShortUser{u.ShortUser}, Groups: []AssignedGroup{},
				AssignedAt: now.Unix(), DeadlineAt: in.DeadlineAt, EnrollmentsCreated: n}
			if _, err := s.events.Record(ctx, tx, workspaceID, EventCourseAssigned, ev); err != nil {
				return err
			}
			keys[i] = enrollmentKey{course: c.pk, user: u.PK}
		}
		out, err = s.loadAssignments(ctx, tx, keys, false, true)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("assign courses to user %s: %w", userID, err)
	}
	return out, nil
}

// resolveCourses reads active courses of the workspace in the order given,
// once each; an unknown or archived one is invalid input naming courses[i].
func (s *Service) resolveCourses(ctx context.Context, tx *sql.Tx, workspaceID int64, ids []int64) ([]courseRow, error) {
	var f fault.Fields
	var out []courseRow
	seen := map[int64]bool{}
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		c, err := getCourse(ctx, s.db, tx, workspaceID, id, true)
		switch {
		case fault.KindOf(err) == fault.KindNotFound:
			f.Add(fmt.Sprintf("courses[%d]", i), "no course with id %d", id)
		case err != nil:
			return nil, err
		case c.status == CourseArchived:
			f.Add(fmt.Sprintf("courses[%d]", i), "course %d is archived", id)
		default:
			out = append(out, c)
		}
	}
	return out, f.Err()
}
