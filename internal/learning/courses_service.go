package learning

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/events"
)

// CreateCourse adds a course. Returns invalid for bad fields and conflict
// when the externalId is taken.
func (s *Service) CreateCourse(ctx context.Context, workspaceID int64, in CourseCreate) (Course, error) {
	r, err := newCourseRow(workspaceID, in, s.timestamp())
	if err != nil {
		return Course{}, err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := insertCourse(ctx, tx, &r); err != nil {
			return err
		}
		pending := []events.Pending{{Type: EventCourseCreated, Data: r.view()}}
		if !r.isDraft {
			pending = append(pending, events.Pending{Type: EventCoursePublished, Data: r.view()})
		}
		_, err := s.events.RecordMany(ctx, tx, workspaceID, pending)
		return err
	})
	if err != nil {
		return Course{}, fmt.Errorf("create course: %w", err)
	}
	return r.view(), nil
}

// GetCourse returns one course, or not_found.
func (s *Service) GetCourse(ctx context.Context, workspaceID, id int64) (Course, error) {
	r, err := getCourse(ctx, s.db, s.db.Read(), workspaceID, id, false)
	if err != nil {
		return Course{}, err
	}
	return r.view(), nil
}

// CoursePage is one page of a course list.
type CoursePage struct {
	Courses    []Course `json:"courses"`
	TotalCount int      `json:"totalCount" doc:"Number of courses matching the filter, across all pages"`
}

// ListCourses returns courses sorted by name.
func (s *Service) ListCourses(ctx context.Context, workspaceID int64, f CourseFilter) (CoursePage, error) {
	f.Limit = limitOf(f.Limit)
	rows, total, err := listCourseRows(ctx, s.db.Read(), workspaceID, f)
	if err != nil {
		return CoursePage{}, err
	}
	page := CoursePage{Courses: make([]Course, len(rows)), TotalCount: total}
	for i := range rows {
		page.Courses[i] = rows[i].view()
	}
	return page, nil
}

// UpdateCourse changes the given fields. Returns not_found, invalid or
// conflict (externalId taken).
func (s *Service) UpdateCourse(ctx context.Context, workspaceID, id int64, in CourseUpdate) (Course, error) {
	var out Course
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getCourse(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		now := s.timestamp()
		before, wasDraft := r.view(), r.isDraft
		if err := applyCourseUpdate(&r, in, now); err != nil {
			return err
		}
		r.updatedAt = now
		if err := updateCourseRow(ctx, tx, &r); err != nil {
			return err
		}
		out = r.view()
		change, err := events.WithChanges(before, out)
		if err != nil {
			return err
		}
		pending := []events.Pending{{Type: EventCourseUpdated, Data: change}}
		if wasDraft && !r.isDraft {
			pending = append(pending, events.Pending{Type: EventCoursePublished, Data: out})
		}
		_, err = s.events.RecordMany(ctx, tx, workspaceID, pending)
		return err
	})
	if err != nil {
		return Course{}, fmt.Errorf("update course %d: %w", id, err)
	}
	return out, nil
}

// SetArchived archives a course (it keeps its enrollments and progress but
// takes no new assignments, and group rules stop enrolling new members) or
// brings it back. Setting the state it has already is no error.
func (s *Service) SetArchived(ctx context.Context, workspaceID, id int64, archived bool) (Course, error) {
	var out Course
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if !archived {
			if err := directory.LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
				return err
			}
		}
		r, err := getCourse(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		out = r.view()
		if (r.status == CourseArchived) == archived {
			return nil
		}
		before := r.view()
		now := s.timestamp()
		r.status, r.archivedAt, r.updatedAt = CourseActive, nil, now
		typ := EventCourseUpdated
		if archived {
			ms := now.UnixMilli()
			r.status, r.archivedAt, typ = CourseArchived, &ms, EventCourseArchived
		}
		if err := updateCourseRow(ctx, tx, &r); err != nil {
			return err
		}
		if !archived {
			// Members who joined while it was archived get it now.
			if err := s.Reconcile(ctx, tx, workspaceID, []int64{r.pk}, true); err != nil {
				return err
			}
		}
		out = r.view()
		var data any = out
		if typ == EventCourseUpdated {
			if data, err = events.WithChanges(before, out); err != nil {
				return err
			}
		}
		_, err = s.events.Record(ctx, tx, workspaceID, typ, data)
		return err
	})
	if err != nil {
		return Course{}, fmt.Errorf("archive course %d: %w", id, err)
	}
	return out, nil
}

// DeleteCourse removes a course for good, with its assignments and every
// enrollment in it (progress included).
func (s *Service) DeleteCourse(ctx context.Context, workspaceID, id int64) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := directory.LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		r, err := getCourse(ctx, s.db, tx, workspaceID, id, true)
		if err != nil {
			return err
		}
		// Enrollments have no foreign key to courses (it slows fan-out);
		// group rules go by ON DELETE CASCADE.
		if _, err := tx.ExecContext(ctx, `DELETE FROM enrollments WHERE course_id = $1`, r.pk); err != nil {
			return fmt.Errorf("delete enrollments: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM courses WHERE id = $1`, r.pk); err != nil {
			return fmt.Errorf("delete course: %w", err)
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventCourseDeleted, r.view())
		return err
	})
	if err != nil {
		return fmt.Errorf("delete course %d: %w", id, err)
	}
	return nil
}
