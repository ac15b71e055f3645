package learning

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
)

// The SQL here applies group rules set-based. "Progress exists" means
// started_at is set: recording progress or completion always sets it.

// ancestorsCTE selects the groups above group $1 as up(id).
const ancestorsCTE = `up(id, depth) AS (
		SELECT parent_id, 1 FROM groups WHERE id = $1 AND parent_id IS NOT NULL
		UNION ALL
		SELECT g.parent_id, up.depth + 1 FROM groups g JOIN up ON g.id = up.id
		WHERE g.parent_id IS NOT NULL AND up.depth < 1000
	)`

// subtreeCTE selects group $1 and the groups below it as sub(id).
const subtreeCTE = `sub(id) AS (
		SELECT id FROM groups WHERE id = $1
		UNION SELECT g.id FROM groups g JOIN sub ON g.parent_id = sub.id
	)`

// userGroupsCTE selects, for the users $ids, every group whose rules can
// reach them: their groups (direct) and those groups' ancestors (not direct).
func userGroupsCTE(ids string) string {
	return `ug(user_id, group_id, direct) AS (
		SELECT user_id, group_id, TRUE FROM group_members WHERE user_id IN (` + ids + `)
		UNION
		SELECT ug.user_id, g.parent_id, FALSE FROM ug JOIN groups g ON g.id = ug.group_id WHERE g.parent_id IS NOT NULL
	)`
}

// coveredBy is the condition that rule r reaches the user through ug.
const coveredBy = `r.group_id = ug.group_id AND (ug.direct OR r.include_subgroups)`

// fanOut enrolls every member of the rule's group (and subgroups, with sub)
// in the course with one INSERT … SELECT; existing enrollments stay as they
// are. It returns how many enrollments it created.
func fanOut(ctx context.Context, q db.Querier, workspaceID, courseID, groupID int64, sub bool, deadline *int64, now time.Time) (int64, error) {
	query := `INSERT INTO enrollments (course_id, user_id, workspace_id, direct, status, assigned_at, deadline_at, progress, updated_at)
		SELECT CAST($2 AS BIGINT), m.user_id, CAST($3 AS BIGINT), FALSE, 'assigned', CAST($4 AS BIGINT), CAST($5 AS BIGINT), 0, CAST($4 AS BIGINT)
		FROM group_members m WHERE m.group_id = $1
		ON CONFLICT (course_id, user_id) DO NOTHING`
	if sub {
		query = `WITH RECURSIVE ` + subtreeCTE + `
		INSERT INTO enrollments (course_id, user_id, workspace_id, direct, status, assigned_at, deadline_at, progress, updated_at)
		SELECT DISTINCT CAST($2 AS BIGINT), m.user_id, CAST($3 AS BIGINT), FALSE, 'assigned', CAST($4 AS BIGINT), CAST($5 AS BIGINT), 0, CAST($4 AS BIGINT)
		FROM group_members m WHERE m.group_id IN (SELECT id FROM sub)
		ON CONFLICT (course_id, user_id) DO NOTHING`
	}
	res, err := q.ExecContext(ctx, query, groupID, courseID, workspaceID, now.UnixMilli(), deadline)
	if err != nil {
		return 0, fmt.Errorf("enroll members of group %d in course %d: %w", groupID, courseID, err)
	}
	return res.RowsAffected()
}

// Joined implements directory.Enrollments: one INSERT … SELECT enrolls the
// new members in the active courses whose rules reach the group.
func (s *Service) Joined(ctx context.Context, tx *sql.Tx, workspaceID, groupID int64, users []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	if len(users) == 0 {
		return out, nil
	}
	now := s.timestamp().UnixMilli()
	err := db.InChunks(users, 1, db.ParamBudget-3, func(chunk []int64) error {
		return s.joinedChunk(ctx, tx, workspaceID, groupID, chunk, now, out)
	})
	if err != nil {
		return nil, fmt.Errorf("enroll new members of group %d: %w", groupID, err)
	}
	return out, nil
}

func (s *Service) joinedChunk(ctx context.Context, tx *sql.Tx, workspaceID, groupID int64, users []int64, now int64, out map[int64][]int64) error {
	args := append([]any{groupID, workspaceID, now}, db.Args(users)...)
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE `+ancestorsCTE+`,
		rules(course_id, deadline_at) AS (
			SELECT x.course_id, min(x.deadline_at) FROM (
				SELECT course_id, deadline_at FROM course_group_assignments WHERE group_id = $1
				UNION ALL
				SELECT r.course_id, r.deadline_at FROM course_group_assignments r JOIN up ON r.group_id = up.id WHERE r.include_subgroups
			) x JOIN courses c ON c.id = x.course_id WHERE c.status = 'active' GROUP BY x.course_id
		)
		INSERT INTO enrollments (course_id, user_id, workspace_id, direct, status, assigned_at, deadline_at, progress, updated_at)
		SELECT r.course_id, u.id, CAST($2 AS BIGINT), FALSE, 'assigned', CAST($3 AS BIGINT), r.deadline_at, 0, CAST($3 AS BIGINT)
		FROM rules r CROSS JOIN users u WHERE u.id IN (`+db.Placeholders(4, len(users))+`)
		ON CONFLICT (course_id, user_id) DO NOTHING
		RETURNING course_id, user_id`, args...)
	if err != nil {
		return err
	}
	_, err = collectPairs(rows, out)
	return err
}

func collectPairs(rows *sql.Rows, out map[int64][]int64) (map[int64][]int64, error) {
	defer rows.Close()
	for rows.Next() {
		var course, user int64
		if err := rows.Scan(&course, &user); err != nil {
			return nil, err
		}
		out[user] = append(out[user], course)
	}
	return out, rows.Err()
}

// Left implements directory.Enrollments.
func (s *Service) Left(ctx context.Context, tx *sql.Tx, workspaceID int64, users []int64) (map[int64][]int64, error) {
	return pruneUsers(ctx, tx, users, 0)
}

// pruneUsers deletes the users' enrollments (in courseID only, unless 0)
// that are not direct, have no progress and that no rule reaches any more.
func pruneUsers(ctx context.Context, q db.Querier, users []int64, courseID int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	err := db.InChunks(users, 1, db.ParamBudget-1, func(chunk []int64) error {
		ids := db.Placeholders(1, len(chunk))
		args := db.Args(chunk)
		onlyCourse := ""
		if courseID != 0 {
			args = append(args, courseID)
			onlyCourse = fmt.Sprintf(` AND course_id = $%d`, len(args))
		}
		rows, err := q.QueryContext(ctx, `WITH RECURSIVE `+userGroupsCTE(ids)+`
			DELETE FROM enrollments WHERE user_id IN (`+ids+`)`+onlyCourse+` AND direct = FALSE AND started_at IS NULL
			AND NOT EXISTS (SELECT 1 FROM course_group_assignments r JOIN ug ON `+coveredBy+`
				WHERE r.course_id = enrollments.course_id AND ug.user_id = enrollments.user_id)
			RETURNING course_id, user_id`, args...)
		if err != nil {
			return err
		}
		_, err = collectPairs(rows, out)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("remove enrollments no group grants: %w", err)
	}
	return out, nil
}

// pruneCourse deletes the course's enrollments that are not direct, have no
// progress and that none of its rules reaches any more.
func pruneCourse(ctx context.Context, q db.Querier, courseID int64) (int64, error) {
	res, err := q.ExecContext(ctx, `WITH RECURSIVE cg(id, sub) AS (
			SELECT group_id, include_subgroups FROM course_group_assignments WHERE course_id = $1
			UNION SELECT g.id, TRUE FROM groups g JOIN cg ON g.parent_id = cg.id WHERE cg.sub
		)
		DELETE FROM enrollments WHERE course_id = $1 AND direct = FALSE AND started_at IS NULL
		AND NOT EXISTS (SELECT 1 FROM group_members m WHERE m.user_id = enrollments.user_id AND m.group_id IN (SELECT id FROM cg))`,
		courseID)
	if err != nil {
		return 0, fmt.Errorf("remove enrollments course %d no longer grants: %w", courseID, err)
	}
	return res.RowsAffected()
}

// CoursesReaching implements directory.Enrollments.
func (s *Service) CoursesReaching(ctx context.Context, tx *sql.Tx, groupID int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `WITH RECURSIVE `+ancestorsCTE+`
		SELECT course_id FROM course_group_assignments WHERE group_id = $1
		UNION
		SELECT r.course_id FROM course_group_assignments r JOIN up ON r.group_id = up.id WHERE r.include_subgroups`, groupID)
	if err != nil {
		return nil, fmt.Errorf("find courses reaching group %d: %w", groupID, err)
	}
	return db.ScanInt64s(rows)
}

// Reconcile implements directory.Enrollments.
func (s *Service) Reconcile(ctx context.Context, tx *sql.Tx, workspaceID int64, courseIDs []int64, grant bool) error {
	now := s.timestamp()
	for _, c := range courseIDs {
		if grant {
			rules, err := courseRules(ctx, tx, c, true)
			if err != nil {
				return err
			}
			for _, r := range rules {
				if _, err := fanOut(ctx, tx, workspaceID, c, r.groupID, r.sub, r.deadline, now); err != nil {
					return err
				}
			}
		}
		if _, err := pruneCourse(ctx, tx, c); err != nil {
			return err
		}
	}
	return nil
}

type rule struct {
	groupID    int64
	sub        bool
	assignedAt int64
	deadline   *int64
}

// courseRules reads a course's group rules (none for an archived course when
// activeOnly).
func courseRules(ctx context.Context, q db.Querier, courseID int64, activeOnly bool) ([]rule, error) {
	query := `SELECT r.group_id, r.include_subgroups, r.assigned_at, r.deadline_at FROM course_group_assignments r WHERE r.course_id = $1`
	if activeOnly {
		query += ` AND EXISTS (SELECT 1 FROM courses c WHERE c.id = r.course_id AND c.status = 'active')`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY r.group_id`, courseID)
	if err != nil {
		return nil, fmt.Errorf("read rules of course %d: %w", courseID, err)
	}
	defer rows.Close()
	var out []rule
	for rows.Next() {
		var r rule
		if err := rows.Scan(&r.groupID, &r.sub, &r.assignedAt, &r.deadline); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

var _ directory.Enrollments = (*Service)(nil)
