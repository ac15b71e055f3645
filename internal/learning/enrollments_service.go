package learning

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
)

// AssignmentPage is one page of enrollments.
type AssignmentPage struct {
	Assignments []Assignment `json:"assignments"`
	TotalCount  int          `json:"totalCount" doc:"Number matching, across all pages"`
}

// AssignmentFilter selects enrollments for a list.
type AssignmentFilter struct {
	Status string // one status; empty for all
	Offset int
	Limit  int
}

func (s *Service) listAssignments(ctx context.Context, q db.Querier, column string, id int64, f AssignmentFilter, withUser, withCourse bool) (AssignmentPage, error) {
	f.Limit = limitOf(f.Limit)
	cond, args := column+` = $1`, []any{id}
	if f.Status != "" {
		cond, args = cond+` AND status = $2`, append(args, f.Status)
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM enrollments WHERE `+cond, args...).Scan(&total); err != nil {
		return AssignmentPage{}, fmt.Errorf("count enrollments: %w", err)
	}
	page := AssignmentPage{Assignments: []Assignment{}, TotalCount: total}
	if total == 0 || f.Offset >= total {
		return page, nil
	}
	order := "user_id"
	if column == "user_id" {
		order = "course_id"
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := queryEnrollments(ctx, q, `SELECT `+enrollmentColumns+` FROM enrollments WHERE `+cond+
		fmt.Sprintf(` ORDER BY %s LIMIT $%d OFFSET $%d`, order, len(args)-1, len(args)), args...)
	if err != nil {
		return AssignmentPage{}, err
	}
	page.Assignments, err = s.show(ctx, q, rows, withUser, withCourse)
	return page, err
}

// ListCourseUsers lists a course's enrollments with their users, by user.
func (s *Service) ListCourseUsers(ctx context.Context, workspaceID, courseID int64, f AssignmentFilter) (AssignmentPage, error) {
	q := s.db.Read()
	if _, err := getCourse(ctx, s.db, q, workspaceID, courseID, false); err != nil {
		return AssignmentPage{}, err
	}
	return s.listAssignments(ctx, q, "course_id", courseID, f, true, false)
}

// ListUserCourses lists a user's enrollments with their courses, by course.
func (s *Service) ListUserCourses(ctx context.Context, workspaceID int64, userID string, f AssignmentFilter) (AssignmentPage, error) {
	q := s.db.Read()
	u, err := directory.FindUser(ctx, q, workspaceID, userID)
	if err != nil {
		return AssignmentPage{}, err
	}
	return s.listAssignments(ctx, q, "user_id", u.PK, f, false, true)
}

// GroupAssignment is a course's rule for one group (Konstantly's shape).
type GroupAssignment struct {
	AssignedAt       int64           `json:"assignedAt"`
	DeadlineAt       int64           `json:"deadlineAt" doc:"0 when there is none"`
	IncludeSubgroups bool            `json:"includeSubgroups"`
	Group            directory.Group `json:"group"`
}

// GroupAssignmentPage is one page of a course's group rules.
type GroupAssignmentPage struct {
	Assignments []GroupAssignment `json:"assignments"`
	TotalCount  int               `json:"totalCount"`
}

// ListCourseGroups lists the groups a course is assigned to, by group id.
func (s *Service) ListCourseGroups(ctx context.Context, workspaceID, courseID int64, offset, limit int) (GroupAssignmentPage, error) {
	q := s.db.Read()
	if _, err := getCourse(ctx, s.db, q, workspaceID, courseID, false); err != nil {
		return GroupAssignmentPage{}, err
	}
	rules, err := courseRules(ctx, q, courseID, false)
	if err != nil {
		return GroupAssignmentPage{}, err
	}
	page := GroupAssignmentPage{Assignments: []GroupAssignment{}, TotalCount: len(rules)}
	limit = limitOf(limit)
	for i := offset; i < len(rules) && i < offset+limit; i++ {
		g, err := directory.FindGroup(ctx, q, workspaceID, rules[i].groupID)
		if err != nil {
			return GroupAssignmentPage{}, err
		}
		page.Assignments = append(page.Assignments, GroupAssignment{AssignedAt: rules[i].assignedAt / 1000,
			DeadlineAt: seconds(rules[i].deadline), IncludeSubgroups: rules[i].sub, Group: g})
	}
	return page, nil
}

// enrollmentOf finds the course, the user and their enrollment, locking it
// on PostgreSQL when forUpdate. Each missing piece is not_found.
func (s *Service) enrollmentOf(ctx context.Context, q db.Querier, workspaceID, courseID int64, userID string, forUpdate bool) (courseRow, directory.UserRef, enrollmentRow, error) {
	c, err := getCourse(ctx, s.db, q, workspaceID, courseID, false)
	if err != nil {
		return c, directory.UserRef{}, enrollmentRow{}, err
	}
	u, err := directory.FindUser(ctx, q, workspaceID, userID)
	if err != nil {
		return c, u, enrollmentRow{}, err
	}
	query := `SELECT ` + enrollmentColumns + ` FROM enrollments WHERE course_id = $1 AND user_id = $2`
	if forUpdate && s.db.Dialect == db.Postgres {
		query += ` FOR UPDATE`
	}
	e, err := scanEnrollment(q.QueryRowContext(ctx, query, c.pk, u.PK))
	if db.IsNoRows(err) {
		return c, u, e, fault.NotFound(fmt.Sprintf("enrollment of user %s in course %d", userID, courseID))
	}
	if err != nil {
		return c, u, e, fmt.Errorf("read enrollment: %w", err)
	}
	return c, u, e, nil
}

// GetEnrollment returns one user's enrollment in a course, or not_found.
func (s *Service) GetEnrollment(ctx context.Context, workspaceID, courseID int64, userID string) (Assignment, error) {
	q := s.db.Read()
	_, _, e, err := s.enrollmentOf(ctx, q, workspaceID, courseID, userID, false)
	if err != nil {
		return Assignment{}, err
	}
	views, err := s.show(ctx, q, []enrollmentRow{e}, true, true)
	if err != nil {
		return Assignment{}, err
	}
	return views[0], nil
}

// UnassignedEvent is the data of course.unassigned.
type UnassignedEvent struct {
	Course             CourseRef            `json:"course"`
	User               *directory.ShortUser `json:"user,omitempty"`
	Group              *directory.GroupRef  `json:"group,omitempty"`
	EnrollmentsRemoved int64                `json:"enrollmentsRemoved" doc:"Enrollments deleted; those with progress or another source stay"`
}

// UnassignUser takes away a user's direct assignment. The enrollment is
// deleted unless a group still grants it or it has progress. Returns
// not_found for the course, the user, or a user not enrolled.
func (s *Service) UnassignUser(ctx context.Context, workspaceID, courseID int64, userID string) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := directory.LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		c, u, _, err := s.enrollmentOf(ctx, tx, workspaceID, courseID, userID, true)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET direct = FALSE, updated_at = $3 WHERE course_id = $1 AND user_id = $2`,
			c.pk, u.PK, s.timestamp().UnixMilli()); err != nil {
			return fmt.Errorf("unmark direct: %w", err)
		}
		removed, err := pruneUsers(ctx, tx, []int64{u.PK}, c.pk)
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventCourseUnassigned,
			UnassignedEvent{Course: c.ref(), User: &u.ShortUser, EnrollmentsRemoved: int64(len(removed[u.PK]))})
		return err
	})
	if err != nil {
		return fmt.Errorf("unassign user %s from course %d: %w", userID, courseID, err)
	}
	return nil
}

// UnassignGroup removes a course's rule for a group. Enrollments no other
// rule grants are deleted unless direct or with progress. Returns not_found
// for the course, the group, or a group the course is not assigned to.
func (s *Service) UnassignGroup(ctx context.Context, workspaceID, courseID, groupID int64) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := directory.LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		c, err := getCourse(ctx, s.db, tx, workspaceID, courseID, true)
		if err != nil {
			return err
		}
		g, err := directory.FindGroup(ctx, tx, workspaceID, groupID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM course_group_assignments WHERE course_id = $1 AND group_id = $2`, c.pk, g.ID)
		if err != nil {
			return fmt.Errorf("delete rule: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fault.NotFound(fmt.Sprintf("assignment of course %d to group %d", courseID, groupID))
		}
		removed, err := pruneCourse(ctx, tx, c.pk)
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventCourseUnassigned, UnassignedEvent{Course: c.ref(),
			Group: &directory.GroupRef{ID: g.ID, Name: g.Name, Description: g.Description}, EnrollmentsRemoved: removed})
		return err
	})
	if err != nil {
		return fmt.Errorf("unassign group %d from course %d: %w", groupID, courseID, err)
	}
	return nil
}
