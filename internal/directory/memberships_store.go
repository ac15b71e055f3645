package directory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// ShortUser is the short user form other resources embed (Konstantly's).
type ShortUser struct {
	ID    string  `json:"id"`
	Name  string  `json:"name"`
	Email string  `json:"email"`
	Role  RoleRef `json:"role"`
}

// UserRef is a user's integer key with its short form. The key joins
// memberships and enrollments; it is never shown.
type UserRef struct {
	PK int64
	ShortUser
}

const shortUserColumns = `id, public_id, name, email, role`

func scanUserRef(s rowScanner) (UserRef, error) {
	var u UserRef
	err := s.Scan(&u.PK, &u.ID, &u.Name, &u.Email, &u.Role.Alias)
	return u, err
}

// FindUser returns a user of the workspace by public id, or not_found.
func FindUser(ctx context.Context, q db.Querier, workspaceID int64, publicID string) (UserRef, error) {
	u, err := scanUserRef(q.QueryRowContext(ctx, `SELECT `+shortUserColumns+` FROM users WHERE workspace_id = $1 AND public_id = $2`,
		workspaceID, publicID))
	if db.IsNoRows(err) {
		return u, fault.NotFound("user " + publicID)
	}
	if err != nil {
		return u, fmt.Errorf("find user %s: %w", publicID, err)
	}
	return u, nil
}

// ResolveUsers finds users of the workspace by public id, in the order given
// and once each. An unknown or malformed id is an invalid-input error naming
// field[i], e.g. "users[3]".
func ResolveUsers(ctx context.Context, q db.Querier, workspaceID int64, field string, ids []string) ([]UserRef, error) {
	var f fault.Fields
	args := []any{workspaceID}
	first := map[string]int{}
	for i, id := range ids {
		if !userIDPattern.MatchString(id) {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "must be a user id")
			continue
		}
		if _, dup := first[id]; !dup {
			first[id] = i
			args = append(args, id)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	found := make(map[string]UserRef, len(first))
	err := db.InChunks(args[1:], 1, db.ParamBudget, func(chunk []any) error {
		rows, err := q.QueryContext(ctx, `WITH v(pid) AS (VALUES `+db.ValuesList(2, len(chunk))+`)
			SELECT u.id, u.public_id, u.name, u.email, u.role FROM v JOIN users u ON u.workspace_id = $1 AND u.public_id = v.pid`,
			append([]any{workspaceID}, chunk...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUserRef(rows)
			if err != nil {
				return err
			}
			found[u.ID] = u
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("find users: %w", err)
	}
	out := make([]UserRef, 0, len(first))
	for i, id := range ids {
		if first[id] != i {
			continue
		}
		u, ok := found[id]
		if !ok {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "no user with id %q", id)
			continue
		}
		out = append(out, u)
	}
	return out, f.Err()
}

// UsersByPK returns the short forms of users by integer key.
func UsersByPK(ctx context.Context, q db.Querier, pks []int64) (map[int64]UserRef, error) {
	out := make(map[int64]UserRef, len(pks))
	err := db.InChunks(pks, 1, db.ParamBudget, func(chunk []int64) error {
		rows, err := q.QueryContext(ctx, `SELECT `+shortUserColumns+` FROM users WHERE id IN (`+db.Placeholders(1, len(chunk))+`)`, db.Args(chunk)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUserRef(rows)
			if err != nil {
				return err
			}
			out[u.PK] = u
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	return out, nil
}

// resolveGroupRows finds groups of the workspace by id, in the order given
// and once each; an unknown id is invalid input naming field[i].
func resolveGroupRows(ctx context.Context, q db.Querier, workspaceID int64, field string, ids []int64) ([]groupRow, error) {
	var f fault.Fields
	var out []groupRow
	seen := map[int64]bool{}
	for i, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		r, err := groupBase(ctx, q, workspaceID, id, false)
		if fault.KindOf(err) == fault.KindNotFound {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "no group with id %d", id)
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, f.Err()
}

// ResolveGroups checks that groups exist in the workspace and returns their
// ids in the order given, once each; an unknown id is invalid input naming
// field[i], e.g. "groups[1]".
func ResolveGroups(ctx context.Context, q db.Querier, workspaceID int64, field string, ids []int64) ([]int64, error) {
	rows, err := resolveGroupRows(ctx, q, workspaceID, field, ids)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.pk
	}
	return out, nil
}

// FindGroup returns a group of the workspace with its counts, or not_found.
func FindGroup(ctx context.Context, q db.Querier, workspaceID, id int64) (Group, error) {
	r, err := getGroup(ctx, q, workspaceID, id)
	if err != nil {
		return Group{}, err
	}
	return r.view(), nil
}

// insertMembers adds memberships, skipping existing ones, and returns the
// users that were not members before.
func insertMembers(ctx context.Context, q db.Querier, groupID int64, users []int64, now time.Time) ([]int64, error) {
	var joined []int64
	err := db.InChunks(users, 1, db.ParamBudget-2, func(chunk []int64) error {
		args := []any{groupID, now.UnixMilli()}
		values := make([]string, len(chunk))
		for i, u := range chunk {
			args = append(args, u)
			values[i] = fmt.Sprintf("($1, $%d, $2)", len(args))
		}
		rows, err := q.QueryContext(ctx, `INSERT INTO group_members (group_id, user_id, added_at) VALUES `+
			strings.Join(values, ", ")+` ON CONFLICT (group_id, user_id) DO NOTHING RETURNING user_id`, args...)
		if err != nil {
			return err
		}
		ids, err := db.ScanInt64s(rows)
		joined = append(joined, ids...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("insert memberships: %w", err)
	}
	return joined, nil
}

// memberSet is SQL selecting the user keys of a group's members ($1 is the
// group), with subgroups when asked.
func memberSet(subgroups bool) string {
	if !subgroups {
		return `SELECT user_id FROM group_members WHERE group_id = $1`
	}
	return `SELECT DISTINCT user_id FROM group_members WHERE group_id IN (` + SubtreeSQL + `)`
}

// SubtreeSQL selects group $1 and every group below it.
const SubtreeSQL = `WITH RECURSIVE sub(id) AS (
		SELECT id FROM groups WHERE id = $1
		UNION SELECT g.id FROM groups g JOIN sub ON g.parent_id = sub.id
	) SELECT id FROM sub`

func listMemberRows(ctx context.Context, q db.Querier, groupID int64, f MemberFilter) ([]userRow, int, error) {
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM (`+memberSet(f.Subgroups)+`) m`, groupID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count members of group %d: %w", groupID, err)
	}
	if total == 0 || f.Offset >= total {
		return []userRow{}, total, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE id IN (`+memberSet(f.Subgroups)+`)
		ORDER BY id LIMIT $2 OFFSET $3`, groupID, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list members of group %d: %w", groupID, err)
	}
	defer rows.Close()
	out := make([]userRow, 0, f.Limit)
	for rows.Next() {
		r, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list members of group %d: %w", groupID, err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
