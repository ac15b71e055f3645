package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

const groupBaseColumns = `g.id, g.workspace_id, g.parent_id, g.name, g.description, g.custom_attributes, g.created_at, g.updated_at`

// groupColumns adds the counts a displayed group carries. coursesCount reads
// the learning package's rule table: the one place the directory looks at it.
const groupColumns = groupBaseColumns + `,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.id),
	(SELECT count(*) FROM course_group_assignments a WHERE a.group_id = g.id)`

func scanGroup(s rowScanner, withCounts bool) (groupRow, error) {
	var (
		r                groupRow
		attrs            []byte
		created, updated int64
	)
	dest := []any{&r.pk, &r.workspaceID, &r.parentID, &r.name, &r.description, &attrs, &created, &updated}
	if withCounts {
		dest = append(dest, &r.usersCount, &r.coursesCount)
	}
	if err := s.Scan(dest...); err != nil {
		return r, err
	}
	if len(attrs) > 0 {
		if err := json.Unmarshal(attrs, &r.attributes); err != nil {
			return r, fmt.Errorf("decode custom attributes of group %d: %w", r.pk, err)
		}
	}
	r.createdAt, r.updatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, nil
}

// getGroup reads a group of the workspace with its counts.
func getGroup(ctx context.Context, q db.Querier, workspaceID, id int64) (groupRow, error) {
	r, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups g WHERE g.workspace_id = $1 AND g.id = $2`,
		workspaceID, id), true)
	if db.IsNoRows(err) {
		return r, fault.NotFound(fmt.Sprintf("group %d", id))
	}
	if err != nil {
		return r, fmt.Errorf("get group %d: %w", id, err)
	}
	return r, nil
}

// lockGroup reads a group without counts, locking its row on PostgreSQL.
func lockGroup(ctx context.Context, d *db.DB, q db.Querier, workspaceID, id int64) (groupRow, error) {
	return groupBase(ctx, q, workspaceID, id, d.Dialect == db.Postgres)
}

// groupBase reads a group without counts.
func groupBase(ctx context.Context, q db.Querier, workspaceID, id int64, forUpdate bool) (groupRow, error) {
	query := `SELECT ` + groupBaseColumns + ` FROM groups g WHERE g.workspace_id = $1 AND g.id = $2`
	if forUpdate {
		query += ` FOR UPDATE`
	}
	r, err := scanGroup(q.QueryRowContext(ctx, query, workspaceID, id), false)
	if db.IsNoRows(err) {
		return r, fault.NotFound(fmt.Sprintf("group %d", id))
	}
	if err != nil {
		return r, fmt.Errorf("get group %d: %w", id, err)
	}
	return r, nil
}

func insertGroup(ctx context.Context, q db.Querier, r *groupRow) error {
	attrs, err := encodeAttributes(r.attributes)
	if err != nil {
		return err
	}
	err = q.QueryRowContext(ctx, `INSERT INTO groups (workspace_id, parent_id, name, name_lower, description, custom_attributes,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		r.workspaceID, r.parentID, r.name, normalizeGroupName(r.name), r.description, attrs,
		r.createdAt.UnixMilli(), r.updatedAt.UnixMilli()).Scan(&r.pk)
	if err != nil {
		return fmt.Errorf("insert group: %w", err)
	}
	return nil
}

func updateGroupRow(ctx context.Context, q db.Querier, r *groupRow) error {
	attrs, err := encodeAttributes(r.attributes)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE groups SET parent_id = $1, name = $2, name_lower = $3, description = $4,
		custom_attributes = $5, updated_at = $6 WHERE id = $7`,
		r.parentID, r.name, normalizeGroupName(r.name), r.description, attrs, r.updatedAt.UnixMilli(), r.pk)
	if err != nil {
		return fmt.Errorf("update group %d: %w", r.pk, err)
	}
	return nil
}

// deleteGroupRow moves the group's children up to its parent and deletes it;
// its memberships and course rules go with it (ON DELETE CASCADE).
func deleteGroupRow(ctx context.Context, q db.Querier, r *groupRow, now time.Time) error {
	if _, err := q.ExecContext(ctx, `UPDATE groups SET parent_id = $1, updated_at = $2 WHERE parent_id = $3`,
		r.parentID, now.UnixMilli(), r.pk); err != nil {
		return fmt.Errorf("move subgroups of group %d up: %w", r.pk, err)
	}
	if _, err := q.ExecContext(ctx, `DELETE FROM groups WHERE id = $1`, r.pk); err != nil {
		return fmt.Errorf("delete group %d: %w", r.pk, err)
	}
	return nil
}

// groupAncestors returns the ids above group id, nearest first.
func groupAncestors(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `WITH RECURSIVE up(id, depth) AS (
			SELECT parent_id, 1 FROM groups WHERE id = $1 AND parent_id IS NOT NULL
			UNION ALL
			SELECT g.parent_id, up.depth + 1 FROM groups g JOIN up ON g.id = up.id
			WHERE g.parent_id IS NOT NULL AND up.depth < 1000
		) SELECT id FROM up ORDER BY depth`, id)
	if err != nil {
		return nil, fmt.Errorf("read ancestors of group %d: %w", id, err)
	}
	return db.ScanInt64s(rows)
}

// GroupFilter selects groups for a list.
type GroupFilter struct {
	Query    string // part of the name, case-insensitive
	ParentID int64  // only children of this group; 0 for any
	TopLevel bool   // only groups without a parent
	Offset   int
	Limit    int
}

func listGroupRows(ctx context.Context, q db.Querier, workspaceID int64, f GroupFilter) ([]groupRow, int, error) {
	where := []string{"g.workspace_id = $1"}
	args := []any{workspaceID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Query != "" {
		add(`g.name_lower LIKE ? ESCAPE '\'`, "%"+db.EscapeLike(strings.ToLower(strings.TrimSpace(f.Query)))+"%")
	}
	if f.ParentID > 0 {
		add(`g.parent_id = ?`, f.ParentID)
	}
	if f.TopLevel {
		where = append(where, "g.parent_id IS NULL")
	}
	cond := strings.Join(where, " AND ")
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM groups g WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count groups: %w", err)
	}
	if total == 0 || f.Offset >= total {
		return []groupRow{}, total, nil
	}
	args = append(args, f.Limit, f.Offset)
	return queryGroups(ctx, q, `SELECT `+groupColumns+` FROM groups g WHERE `+cond+
		fmt.Sprintf(` ORDER BY g.name, g.id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), total, args...)
}

func queryGroups(ctx context.Context, q db.Querier, query string, total int, args ...any) ([]groupRow, int, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	out := []groupRow{}
	for rows.Next() {
		r, err := scanGroup(rows, true)
		if err != nil {
			return nil, 0, fmt.Errorf("list groups: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}

// findGroupByName returns the oldest group of that name (case-insensitive)
// under parent (nil: anywhere).
func findGroupByName(ctx context.Context, q db.Querier, workspaceID int64, name string, parent *int64) (groupRow, bool, error) {
	query := `SELECT ` + groupColumns + ` FROM groups g WHERE g.workspace_id = $1 AND g.name_lower = $2`
	args := []any{workspaceID, normalizeGroupName(name)}
	if parent != nil {
		query += ` AND g.parent_id = $3`
		args = append(args, *parent)
	}
	r, err := scanGroup(q.QueryRowContext(ctx, query+` ORDER BY g.id LIMIT 1`, args...), true)
	if db.IsNoRows(err) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("find group %q: %w", name, err)
	}
	return r, true, nil
}
