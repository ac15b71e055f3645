package learning

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
)

// Source tells why a user is enrolled.
type Source struct {
	Direct bool    `json:"direct" doc:"Assigned to the user by name"`
	Groups []int64 `json:"groups" doc:"Assigned groups whose rules reach the user"`
}

// Assignment is an enrollment: one user in one course (Konstantly's
// assignment shape, with progress, completedAt and status under our names
// too). Times are Unix seconds, 0 for "not yet".
type Assignment struct {
	Status           string               `json:"status" enum:"assigned,in_progress,completed,overdue"`
	Source           Source               `json:"source"`
	AssignedAt       int64                `json:"assignedAt"`
	DeadlineAt       int64                `json:"deadlineAt" doc:"0 when there is none"`
	StartedAt        int64                `json:"startedAt"`
	CompletedAt      int64                `json:"completedAt"`
	FinishedAt       int64                `json:"finishedAt" doc:"Same as completedAt (Konstantly's name)"`
	Progress         int                  `json:"progress" minimum:"0" maximum:"100"`
	ProgressValue    int                  `json:"progressValue" doc:"Same as progress (Konstantly's name)"`
	ResultValue      int                  `json:"resultValue" doc:"Score 0–100 when recorded"`
	IsCourseStarted  bool                 `json:"isCourseStarted"`
	IsCourseFinished bool                 `json:"isCourseFinished"`
	IsExpired        bool                 `json:"isExpired" doc:"The deadline has passed (status overdue)"`
	Course           *Course              `json:"course,omitempty"`
	User             *directory.ShortUser `json:"user,omitempty"`
}

type enrollmentKey struct{ course, user int64 }

type enrollmentRow struct {
	courseID, userID, workspaceID int64
	direct                        bool
	status                        string
	assignedAt                    int64
	deadlineAt                    *int64
	startedAt                     *int64
	completedAt                   *int64
	progress                      int
	result                        *int
	updatedAt                     int64
}

const enrollmentColumns = `course_id, user_id, workspace_id, direct, status, assigned_at, deadline_at, started_at, completed_at,
	progress, result, updated_at`

func scanEnrollment(s rowScanner) (enrollmentRow, error) {
	var e enrollmentRow
	err := s.Scan(&e.courseID, &e.userID, &e.workspaceID, &e.direct, &e.status, &e.assignedAt, &e.deadlineAt, &e.startedAt,
		&e.completedAt, &e.progress, &e.result, &e.updatedAt)
	return e, err
}

func (e *enrollmentRow) key() enrollmentKey { return enrollmentKey{course: e.courseID, user: e.userID} }

func (e *enrollmentRow) view() Assignment {
	a := Assignment{Status: e.status, Source: Source{Direct: e.direct, Groups: []int64{}},
		AssignedAt: e.assignedAt / 1000, DeadlineAt: seconds(e.deadlineAt), StartedAt: seconds(e.startedAt),
		CompletedAt: seconds(e.completedAt), Progress: e.progress, IsCourseStarted: e.startedAt != nil,
		IsCourseFinished: e.completedAt != nil, IsExpired: e.status == StatusOverdue}
	a.FinishedAt, a.ProgressValue = a.CompletedAt, a.Progress
	if e.result != nil {
		a.ResultValue = *e.result
	}
	return a
}

func queryEnrollments(ctx context.Context, q db.Querier, query string, args ...any) ([]enrollmentRow, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("read enrollments: %w", err)
	}
	defer rows.Close()
	var out []enrollmentRow
	for rows.Next() {
		e, err := scanEnrollment(rows)
		if err != nil {
			return nil, fmt.Errorf("read enrollments: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// loadAssignments reads enrollments by key and shows them, in key order.
func (s *Service) loadAssignments(ctx context.Context, q db.Querier, keys []enrollmentKey, withUser, withCourse bool) ([]Assignment, error) {
	var rows []enrollmentRow
	err := db.InChunks(keys, 2, db.ParamBudget, func(chunk []enrollmentKey) error {
		conds := make([]string, len(chunk))
		args := make([]any, 0, 2*len(chunk))
		for i, k := range chunk {
			args = append(args, k.course, k.user)
			conds[i] = fmt.Sprintf("(course_id = $%d AND user_id = $%d)", len(args)-1, len(args))
		}
		part, err := queryEnrollments(ctx, q, `SELECT `+enrollmentColumns+` FROM enrollments WHERE `+strings.Join(conds, " OR "), args...)
		rows = append(rows, part...)
		return err
	})
	if err != nil {
		return nil, err
	}
	byKey := make(map[enrollmentKey]enrollmentRow, len(rows))
	for _, e := range rows {
		byKey[e.key()] = e
	}
	ordered := make([]enrollmentRow, 0, len(rows))
	for _, k := range keys {
		if e, ok := byKey[k]; ok {
			ordered = append(ordered, e)
		}
	}
	return s.show(ctx, q, ordered, withUser, withCourse)
}

// show turns rows into assignments with their sources, and the user and
// course when asked.
func (s *Service) show(ctx context.Context, q db.Querier, rows []enrollmentRow, withUser, withCourse bool) ([]Assignment, error) {
	out := make([]Assignment, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	var users, courses []int64
	for _, e := range rows {
		users, courses = append(users, e.userID), append(courses, e.courseID)
	}
	slices.Sort(users)
	users = slices.Compact(users)
	slices.Sort(courses)
	courses = slices.Compact(courses)
	sources, err := groupSources(ctx, q, users, courses)
	if err != nil {
		return nil, err
	}
	var userRefs map[int64]directory.UserRef
	if withUser {
		if userRefs, err = directory.UsersByPK(ctx, q, users); err != nil {
			return nil, err
		}
	}
	var courseRows map[int64]courseRow
	if withCourse {
		if courseRows, err = coursesByID(ctx, q, courses); err != nil {
			return nil, err
		}
	}
	for i, e := range rows {
		a := e.view()
		if g := sources[e.key()]; g != nil {
			a.Source.Groups = g
		}
		if u, ok := userRefs[e.userID]; ok {
			a.User = &u.ShortUser
		}
		if c, ok := courseRows[e.courseID]; ok {
			v := c.view()
			a.Course = &v
		}
		out[i] = a
	}
	return out, nil
}

// groupSources finds, for the users and courses, which assigned groups reach
// each user in each course.
func groupSources(ctx context.Context, q db.Querier, users, courses []int64) (map[enrollmentKey][]int64, error) {
	out := map[enrollmentKey][]int64{}
	// A short course list narrows the query; padded to a power of two (by
	// repeating its last id) it comes in few texts.
	var courseArgs []any
	if len(courses) <= 64 {
		courseArgs = db.Args(courses)
		for len(courseArgs)&(len(courseArgs)-1) != 0 {
			courseArgs = append(courseArgs, courses[len(courses)-1])
		}
	}
	err := db.InChunks(users, 1, db.ParamBudget-len(courseArgs), func(chunk []int64) error {
		ids := db.Placeholders(1, len(chunk))
		args := db.Args(chunk)
		courseCond := ""
		if courseArgs != nil {
			courseCond = ` AND r.course_id IN (` + db.Placeholders(len(args)+1, len(courseArgs)) + `)`
			args = append(args, courseArgs...)
		}
		rows, err := q.QueryContext(ctx, `WITH RECURSIVE `+userGroupsCTE(ids)+`
			SELECT DISTINCT ug.user_id, r.course_id, r.group_id FROM course_group_assignments r JOIN ug ON `+coveredBy+`
			WHERE 1 = 1`+courseCond+` ORDER BY r.group_id`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u, c, g int64
			if err := rows.Scan(&u, &c, &g); err != nil {
				return err
			}
			k := enrollmentKey{course: c, user: u}
			out[k] = append(out[k], g)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read enrollment sources: %w", err)
	}
	return out, nil
}
