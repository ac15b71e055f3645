package learning

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// Bounds of one assignment call.
const (
	MaxAssignUsers   = 1000
	MaxAssignGroups  = 100
	MaxAssignCourses = 100
)

// Assign is the input of courses.assign (Zapier's Assign Course action).
type Assign struct {
	// CourseID and CourseExternalID name the course in the body (Zapier's
	// Assign Course sends courseId). With a path id they must agree with it.
	CourseID         op.ID      `json:"courseId,omitempty" doc:"The course (2 or \"2\"), as Zapier's Assign Course sends it; on /courses/{id}/assign it must be the path's id"`
	CourseExternalID ExternalID `json:"courseExternalId,omitempty" doc:"Instead of courseId: the id the course was imported with (courseId of POST /courses/courses-exporter/public/import, shown as externalId), so an imported course is assigned without looking up its Roster id"`
	Users            []string   `json:"users,omitempty" maxItems:"1000" doc:"User ids to enroll directly"`
	Groups           []op.ID    `json:"groups,omitempty" maxItems:"100" doc:"Group ids (2 or \"2\") whose present and future members are enrolled"`
	IncludeSubgroups bool       `json:"includeSubgroups,omitempty" doc:"The group assignments also reach members of subgroups, present and future"`
	DeadlineAt       int64      `json:"deadlineAt,omitempty" minimum:"0" maximum:"253402300799" doc:"Unix seconds; 0 for none. When given it also becomes the deadline of covered enrollments not yet completed."`
	AssignAt         int64      `json:"assignAt,omitempty" minimum:"0" doc:"Konstantly's scheduled assignment: not supported, so only 0 or a time not in the future"`
}

// AssignedGroup is a group in a course.assigned event.
type AssignedGroup struct {
	ID               int64  `json:"id"`
	Name             string `json:"name"`
	IncludeSubgroups bool   `json:"includeSubgroups"`
}

// Assigned is the outcome of an assignment (Konstantly's users and groups).
type Assigned struct {
	Users              []directory.ShortUser `json:"users" doc:"Users assigned directly"`
	Groups             []directory.Group     `json:"groups" doc:"Groups assigned"`
	EnrollmentsCreated int64                 `json:"enrollmentsCreated" doc:"Enrollments this call created; users enrolled already keep theirs"`
}

// AssignedEvent is the data of course.assigned: one per assignment call,
// however many enrollments it created.
type AssignedEvent struct {
	Course             CourseRef             `json:"course"`
	Users              []directory.ShortUser `json:"users"`
	Groups             []AssignedGroup       `json:"groups"`
	AssignedAt         int64                 `json:"assignedAt"`
	DeadlineAt         int64                 `json:"deadlineAt"`
	EnrollmentsCreated int64                 `json:"enrollmentsCreated"`
}

// maxDeadline is the end of year 9999 in Unix seconds: later values would
// overflow when kept in milliseconds.
const maxDeadline = 253402300799

func checkTiming(deadlineAt, assignAt int64, now time.Time) error {
	var f fault.Fields
	if deadlineAt < 0 || deadlineAt > maxDeadline {
		f.Add("deadlineAt", "must be Unix seconds up to the end of year 9999, or 0 for none")
	}
	if assignAt < 0 || assignAt > now.Unix()+60 {
		f.Add("assignAt", "scheduled assignments are not supported; leave assignAt out")
	}
	return f.Err()
}

// AssignTarget returns the course an assignment names: pathID when the route
// has one (courseId and courseExternalId in the body must then name the same
// course), else courseId or courseExternalId from the body. An unknown
// courseExternalId is not_found, like an unknown path id.
func (s *Service) AssignTarget(ctx context.Context, workspaceID, pathID int64, in Assign) (int64, error) {
	ext := strings.TrimSpace(string(in.CourseExternalID))
	byExt := int64(0)
	if ext != "" {
		found, err := coursesByExternalID(ctx, s.db.Read(), workspaceID, []string{ext})
		if err != nil {
			return 0, fmt.Errorf("find course %q: %w", ext, err)
		}
		c, ok := found[ext]
		if !ok {
			if pathID != 0 || in.CourseID != 0 {
				return 0, fault.Invalid("courseExternalId", "no course was imported with courseId %q", ext)
			}
			return 0, fault.NotFound(fmt.Sprintf("course with courseExternalId %q", ext))
		}
		byExt = c.pk
	}
	want := pathID
	field := "the path"
	if want == 0 {
		field = "courseId"
		want = in.CourseID.Int64()
		if want == 0 {
			want, field = byExt, "courseExternalId"
		}
	}
	var f fault.Fields
	if want == 0 {
		f.Add("courseId", "is required: the course to assign (or courseExternalId, the id it was imported with)")
	}
	if id := in.CourseID.Int64(); id != 0 && id != want {
		f.Add("courseId", "names course %d but the request assigns course %d", id, want)
	}
	if byExt != 0 && byExt != want {
		f.Add("courseExternalId", "names course %d but %s names course %d", byExt, field, want)
	}
	return want, f.Err()
}

// AssignCourse enrolls users directly and makes each group a rule for its
// present and future members. All or nothing: an unknown user or group is
// invalid input naming users[i] or groups[i].
func (s *Service) AssignCourse(ctx context.Context, workspaceID, courseID int64, in Assign) (Assigned, error) {
	now := s.timestamp()
	if len(in.Users) == 0 && len(in.Groups) == 0 {
		return Assigned{}, fault.Invalid("users", "give users, groups or both")
	}
	if len(in.Users) > MaxAssignUsers || len(in.Groups) > MaxAssignGroups {
		return Assigned{}, fault.Invalid("users", "at most %d users and %d groups per call", MaxAssignUsers, MaxAssignGroups)
	}
	if err := checkTiming(in.DeadlineAt, in.AssignAt, now); err != nil {
		return Assigned{}, err
	}
	deadline := millis(in.DeadlineAt)
	var out Assigned
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		c, err := s.lockAssignable(ctx, tx, workspaceID, courseID)
		if err != nil {
			return err
		}
		users, err := directory.ResolveUsers(ctx, tx, workspaceID, "users", in.Users)
		if err != nil {
			return err
		}
		groups, err := directory.ResolveGroups(ctx, tx, workspaceID, "groups", op.IDs(in.Groups))
		if err != nil {
			return err
		}
		ev := AssignedEvent{Course: c.ref(), Users: []directory.ShortUser{}, Groups: []AssignedGroup{},
			AssignedAt: now.Unix(), DeadlineAt: in.DeadlineAt}
		out = Assigned{Users: []directory.ShortUser{}, Groups: []directory.Group{}}
		for _, g := range groups {
			n, err := s.assignGroup(ctx, tx, workspaceID, c.pk, g, in.IncludeSubgroups, deadline, now)
			if err != nil {
				return err
			}
			view, err := directory.FindGroup(ctx, tx, workspaceID, g)
			if err != nil {
				return err
			}
			out.Groups = append(out.Groups, view)
			ev.Groups = append(ev.Groups, AssignedGroup{ID: g, Name: view.Name, IncludeSubgroups: in.IncludeSubgroups})
			out.EnrollmentsCreated += n
		}
		n, err := s.assignUsers(ctx, tx, &c, users, deadline, now)
		if err != nil {
			return err
		}
		out.EnrollmentsCreated += n
		for _, u := range users {
			out.Users = append(out.Users, u.ShortUser)
		}
		ev.Users, ev.EnrollmentsCreated = out.Users, out.EnrollmentsCreated
		_, err = s.events.Record(ctx, tx, workspaceID, EventCourseAssigned, ev)
		return err
	})
	if err != nil {
		return Assigned{}, fmt.Errorf("assign course %d: %w", courseID, err)
	}
	return out, nil
}

// lockAssignable takes the membership lock and reads an active course.
func (s *Service) lockAssignable(ctx context.Context, tx *sql.Tx, workspaceID, courseID int64) (courseRow, error) {
	if err := directory.LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
		return courseRow{}, err
	}
	c, err := getCourse(ctx, s.db, tx, workspaceID, courseID, true)
	if err != nil {
		return c, err
	}
	if c.status == CourseArchived {
		return c, fault.Conflict("course_archived", "", "course %d is archived; unarchive it to assign it", courseID)
	}
	return c, nil
}

// assignGroup writes the rule and applies it: one INSERT … SELECT enrolls
// the members; narrowing a rule (no longer including subgroups) removes what
// it no longer grants; a deadline moves the covered enrollments' deadline.
func (s *Service) assignGroup(ctx context.Context, tx *sql.Tx, workspaceID, courseID, groupID int64, sub bool, deadline *int64, now time.Time) (int64, error) {
	var prevSub bool
	err := tx.QueryRowContext(ctx, `SELECT include_subgroups FROM course_group_assignments WHERE course_id = $1 AND group_id = $2`,
		courseID, groupID).Scan(&prevSub)
	existed := err == nil
	if err != nil && !db.IsNoRows(err) {
		return 0, fmt.Errorf("read rule: %w", err)
	}
	hadEnrollments := existed
	if !existed {
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM enrollments WHERE course_id = $1)`, courseID).Scan(&hadEnrollments); err != nil {
			return 0, fmt.Errorf("read enrollments: %w", err)
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO course_group_assignments (course_id, group_id, include_subgroups, assigned_at, deadline_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (course_id, group_id) DO UPDATE SET include_subgroups = excluded.include_subgroups,
		deadline_at = coalesce(excluded.deadline_at, course_group_assignments.deadline_at)`,
		courseID, groupID, sub, now.UnixMilli(), deadline)
	if err != nil {
		return 0, fmt.Errorf("write rule: %w", err)
	}
	created, err := fanOut(ctx, tx, workspaceID, courseID, groupID, sub, deadline, now)
	if err != nil {
		return 0, err
	}
	if existed && prevSub && !sub {
		if _, err := pruneCourse(ctx, tx, courseID); err != nil {
			return 0, err
		}
	}
	if deadline != nil && hadEnrollments {
		cond := `user_id IN (SELECT user_id FROM group_members WHERE group_id = $4)`
		if sub {
			cond = `user_id IN (SELECT user_id FROM group_members WHERE group_id IN (` + strings.ReplaceAll(directory.SubtreeSQL, "$1", "$4") + `))`
		}
		if err := moveDeadline(ctx, tx, courseID, *deadline, now, cond, groupID); err != nil {
			return 0, err
		}
	}
	return created, nil
}

// moveDeadline sets the deadline of the course's enrollments matching cond
// ($4 onwards are extra) that are not completed; an overdue one whose new
// deadline is in the future is open again.
func moveDeadline(ctx context.Context, q db.Querier, courseID, deadline int64, now time.Time, cond string, extra ...any) error {
	reopen := ""
	if deadline > now.UnixMilli() {
		reopen = `, status = CASE WHEN status = 'overdue' THEN (CASE WHEN started_at IS NULL THEN 'assigned' ELSE 'in_progress' END) ELSE status END`
	}
	args := append([]any{courseID, deadline, now.UnixMilli()}, extra...)
	_, err := q.ExecContext(ctx, `UPDATE enrollments SET deadline_at = $2, updated_at = $3`+reopen+`
		WHERE course_id = $1 AND completed_at IS NULL AND (deadline_at IS NULL OR deadline_at <> $2) AND `+cond, args...)
	if err != nil {
		return fmt.Errorf("move deadlines in course %d: %w", courseID, err)
	}
	return nil
}

// assignUsers enrolls users directly (marking existing enrollments direct),
// records enrollment.created for each new one and returns how many it made.
func (s *Service) assignUsers(ctx context.Context, tx *sql.Tx, c *courseRow, users []directory.UserRef, deadline *int64, now time.Time) (int64, error) {
	if len(users) == 0 {
		return 0, nil
	}
	pks := make([]int64, len(users))
	for i, u := range users {
		pks[i] = u.PK
	}
	created := map[int64][]int64{}
	err := db.InChunks(pks, 1, db.ParamBudget-4, func(chunk []int64) error {
		args := append([]any{c.pk, c.workspaceID, now.UnixMilli(), deadline}, db.Args(chunk)...)
		rows, err := tx.QueryContext(ctx, `INSERT INTO enrollments (course_id, user_id, workspace_id, direct, status, assigned_at, deadline_at, progress, updated_at)
			SELECT CAST($1 AS BIGINT), u.id, CAST($2 AS BIGINT), TRUE, 'assigned', CAST($3 AS BIGINT), CAST($4 AS BIGINT), 0, CAST($3 AS BIGINT)
			FROM users u WHERE u.id IN (`+db.Placeholders(5, len(chunk))+`)
			ON CONFLICT (course_id, user_id) DO NOTHING RETURNING user_id`, args...)
		if err != nil {
			return err
		}
		if _, err := collectUsers(rows, created); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE enrollments SET direct = TRUE, updated_at = $2
			WHERE course_id = $1 AND direct = FALSE AND user_id IN (`+db.Placeholders(3, len(chunk))+`)`,
			append([]any{c.pk, now.UnixMilli()}, db.Args(chunk)...)...); err != nil {
			return err
		}
		if deadline == nil {
			return nil
		}
		return moveDeadline(ctx, tx, c.pk, *deadline, now, `user_id IN (`+db.Placeholders(4, len(chunk))+`)`, db.Args(chunk)...)
	})
	if err != nil {
		return 0, fmt.Errorf("enroll users: %w", err)
	}
	if len(created) == 0 {
		return 0, nil
	}
	keys := make([]enrollmentKey, 0, len(created))
	for _, u := range pks {
		if _, ok := created[u]; ok {
			keys = append(keys, enrollmentKey{course: c.pk, user: u})
		}
	}
	views, err := s.loadAssignments(ctx, tx, keys, true, true)
	if err != nil {
		return 0, err
	}
	for _, v := range views {
		if _, err := s.events.Record(ctx, tx, c.workspaceID, EventEnrollmentCreated, v); err != nil {
			return 0, err
		}
	}
	return int64(len(created)), nil
}

func collectUsers(rows *sql.Rows, out map[int64][]int64) (map[int64][]int64, error) {
	defer rows.Close()
	for rows.Next() {
		var user int64
		if err := rows.Scan(&user); err != nil {
			return nil, err
		}
		out[user] = nil
	}
	return out, rows.Err()
}
