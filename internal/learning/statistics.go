package learning

import (
	"context"
	"fmt"

	"github.com/rosterhq/roster/internal/counter"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
)

// listLen bounds the user and course lists in statistics.
const listLen = 10

// Counts are enrollments by status; the four statuses partition total.
type Counts struct {
	Total      int `json:"total"`
	Assigned   int `json:"assigned" doc:"Not started"`
	InProgress int `json:"inProgress"`
	Completed  int `json:"completed"`
	Overdue    int `json:"overdue" doc:"Deadline passed before completion"`
}

// Leader is a user with completed courses (Konstantly's leaders).
type Leader struct {
	CoursesCount int                 `json:"coursesCount" doc:"Courses completed"`
	ResultValue  int                 `json:"resultValue" doc:"Average score of those courses"`
	User         directory.ShortUser `json:"user"`
}

// WorkspaceStatistics is Konstantly's GET /statistics, plus enrollment counts.
type WorkspaceStatistics struct {
	Statistics struct {
		CoursesCount         int `json:"coursesCount"`
		AssignedCoursesCount int `json:"assignedCoursesCount" doc:"Enrollments (course assignments to users)"`
		GroupsCount          int `json:"groupsCount"`
		UsersCount           int `json:"usersCount"`
	} `json:"statistics"`
	Enrollments          Counts                `json:"enrollments"`
	UsersWithoutActivity []directory.ShortUser `json:"usersWithoutActivity" doc:"Up to 10 users who started no course, by name"`
	UsersWithoutResults  []directory.ShortUser `json:"usersWithoutResults" doc:"Up to 10 users who started courses but completed none, by name"`
	Leaders              []Leader              `json:"leaders" doc:"Up to 10 users with the most completed courses"`
	UnassignedCourses    []Course              `json:"unassignedCourses" doc:"Up to 10 courses nobody is enrolled in, by name"`
}

// GroupStatistics is Konstantly's GET /groups/{id}/statistics, plus counts of
// the members' enrollments (in any course).
type GroupStatistics struct {
	Group                directory.Group       `json:"group"`
	Enrollments          Counts                `json:"enrollments" doc:"Enrollments of the group's direct members, in every course"`
	UsersWithoutActivity []directory.ShortUser `json:"usersWithoutActivity"`
	UsersWithoutResults  []directory.ShortUser `json:"usersWithoutResults"`
	Leaders              []Leader              `json:"leaders"`
}

// CourseStatistics are a course's enrollment counts.
type CourseStatistics struct {
	Course          Course `json:"course"`
	Enrollments     Counts `json:"enrollments"`
	GroupsCount     int    `json:"groupsCount" doc:"Groups the course is assigned to"`
	AverageProgress int    `json:"averageProgress" doc:"Mean progress of all enrollments, 0–100"`
}

func countByStatus(ctx context.Context, q db.Querier, query string, args ...any) (Counts, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return Counts{}, fmt.Errorf("count enrollments: %w", err)
	}
	defer rows.Close()
	var c Counts
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return Counts{}, fmt.Errorf("count enrollments: %w", err)
		}
		c.Total += n
		switch status {
		case StatusAssigned:
			c.Assigned = n
		case StatusInProgress:
			c.InProgress = n
		case StatusCompleted:
			c.Completed = n
		case StatusOverdue:
			c.Overdue = n
		}
	}
	return c, rows.Err()
}

// WorkspaceStatistics returns the workspace's totals.
func (s *Service) WorkspaceStatistics(ctx context.Context, workspaceID int64) (WorkspaceStatistics, error) {
	q := s.db.Read()
	var out WorkspaceStatistics
	st := &out.Statistics
	if err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM courses WHERE workspace_id = $1),
		(SELECT count(*) FROM groups WHERE workspace_id = $1)`, workspaceID).Scan(&st.CoursesCount, &st.GroupsCount); err != nil {
		return out, fmt.Errorf("count courses and groups: %w", err)
	}
	var err error
	if st.UsersCount, err = counter.Get(ctx, q, workspaceID, counter.Users); err != nil {
		return out, err
	}
	if out.Enrollments, err = countByStatus(ctx, q, `SELECT status, count(*) FROM enrollments WHERE workspace_id = $1 GROUP BY status`, workspaceID); err != nil {
		return out, err
	}
	st.AssignedCoursesCount = out.Enrollments.Total
	people := `u.workspace_id = $1`
	if err := s.peopleLists(ctx, q, people, workspaceID, &out.UsersWithoutActivity, &out.UsersWithoutResults, &out.Leaders); err != nil {
		return out, err
	}
	out.UnassignedCourses = []Course{}
	rows, err := q.QueryContext(ctx, `SELECT `+courseColumns+` FROM courses c WHERE workspace_id = $1
		AND NOT EXISTS (SELECT 1 FROM enrollments e WHERE e.course_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM course_group_assignments r WHERE r.course_id = c.id) ORDER BY name, id LIMIT $2`, workspaceID, listLen)
	if err != nil {
		return out, fmt.Errorf("find unassigned courses: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCourse(rows)
		if err != nil {
			return out, fmt.Errorf("find unassigned courses: %w", err)
		}
		out.UnassignedCourses = append(out.UnassignedCourses, c.view())
	}
	return out, rows.Err()
}

// GroupStatistics returns the statistics of a group's direct members, or
// not_found.
func (s *Service) GroupStatistics(ctx context.Context, workspaceID, groupID int64) (GroupStatistics, error) {
	q := s.db.Read()
	var out GroupStatistics
	var err error
	if out.Group, err = directory.FindGroup(ctx, q, workspaceID, groupID); err != nil {
		return out, err
	}
	if out.Enrollments, err = countByStatus(ctx, q, `SELECT e.status, count(*) FROM enrollments e
		WHERE e.user_id IN (SELECT user_id FROM group_members WHERE group_id = $1) GROUP BY e.status`, groupID); err != nil {
		return out, err
	}
	people := `u.id IN (SELECT user_id FROM group_members WHERE group_id = $1)`
	err = s.peopleLists(ctx, q, people, groupID, &out.UsersWithoutActivity, &out.UsersWithoutResults, &out.Leaders)
	return out, err
}

// CourseStatistics returns a course's counts, or not_found.
func (s *Service) CourseStatistics(ctx context.Context, workspaceID, courseID int64) (CourseStatistics, error) {
	q := s.db.Read()
	c, err := getCourse(ctx, s.db, q, workspaceID, courseID, false)
	if err != nil {
		return CourseStatistics{}, err
	}
	out := CourseStatistics{Course: c.view()}
	if out.Enrollments, err = countByStatus(ctx, q, `SELECT status, count(*) FROM enrollments WHERE course_id = $1 GROUP BY status`, courseID); err != nil {
		return out, err
	}
	var avg float64
	if err := q.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM course_group_assignments WHERE course_id = $1),
		(SELECT coalesce(avg(progress), 0) FROM enrollments WHERE course_id = $1)`, courseID).Scan(&out.GroupsCount, &avg); err != nil {
		return out, fmt.Errorf("read course statistics: %w", err)
	}
	out.AverageProgress = int(avg + 0.5)
	return out, nil
}

// peopleLists fills Konstantly's three user lists for the users matching
// people (SQL over u with $1 = arg).
func (s *Service) peopleLists(ctx context.Context, q db.Querier, people string, arg int64,
	inactive, noResults *[]directory.ShortUser, leaders *[]Leader) error {
	var err error
	started := `EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = u.id AND e.started_at IS NOT NULL)`
	completed := `EXISTS (SELECT 1 FROM enrollments e WHERE e.user_id = u.id AND e.completed_at IS NOT NULL)`
	if *inactive, err = shortUsers(ctx, q, `SELECT u.id, u.public_id, u.name, u.email, u.role FROM users u WHERE `+people+
		` AND NOT `+started+` ORDER BY u.name, u.public_id LIMIT $2`, arg, listLen); err != nil {
		return err
	}
	if *noResults, err = shortUsers(ctx, q, `SELECT u.id, u.public_id, u.name, u.email, u.role FROM users u WHERE `+people+
		` AND `+started+` AND NOT `+completed+` ORDER BY u.name, u.public_id LIMIT $2`, arg, listLen); err != nil {
		return err
	}
	rows, err := q.QueryContext(ctx, `SELECT u.id, u.public_id, u.name, u.email, u.role, count(*), coalesce(avg(e.result), 0)
		FROM enrollments e JOIN users u ON u.id = e.user_id WHERE `+people+` AND e.status = 'completed'
		GROUP BY u.id, u.public_id, u.name, u.email, u.role ORDER BY count(*) DESC, u.id LIMIT $2`, arg, listLen)
	if err != nil {
		return fmt.Errorf("find leaders: %w", err)
	}
	defer rows.Close()
	*leaders = []Leader{}
	for rows.Next() {
		var l Leader
		var pk int64
		var avg float64
		if err := rows.Scan(&pk, &l.User.ID, &l.User.Name, &l.User.Email, &l.User.Role.Alias, &l.CoursesCount, &avg); err != nil {
			return fmt.Errorf("find leaders: %w", err)
		}
		l.ResultValue = int(avg + 0.5)
		*leaders = append(*leaders, l)
	}
	return rows.Err()
}

func shortUsers(ctx context.Context, q db.Querier, query string, args ...any) ([]directory.ShortUser, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list users for statistics: %w", err)
	}
	defer rows.Close()
	out := []directory.ShortUser{}
	for rows.Next() {
		var pk int64
		var u directory.ShortUser
		if err := rows.Scan(&pk, &u.ID, &u.Name, &u.Email, &u.Role.Alias); err != nil {
			return nil, fmt.Errorf("list users for statistics: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
