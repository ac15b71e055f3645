package scim

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rosterhq/roster/internal/db"
)

// The SCIM face reads users and groups with its own SQL (it needs the side
// tables joined, and filters translated to SQL), but never writes Roster's
// tables: writes go through the operations. It writes only scim_users and
// scim_groups.

// echo is a value an identity provider sent that Roster keeps in a coarser
// field (name parts, locale): it is shown back while the Roster field still
// has the value Basis it was mapped to.
type echo struct {
	Value any    `json:"v"`
	Basis string `json:"b"`
}

// userRec is a user with its SCIM side data.
type userRec struct {
	pk                             int64
	id, name, displayName, email   string
	language, timezone, occupation string
	status                         string
	attrs                          map[string]any
	created, updated               int64 // Unix ms
	externalID                     *string
	userName                       *string // set only when it is not the email
	echo                           map[string]echo
	scimUpdated                    int64 // 0 without a scim_users row
}

const userSelect = `SELECT u.id, u.public_id, u.name, u.display_name, u.email, u.language, u.timezone, u.occupation,
	u.status, u.custom_attributes, u.created_at, u.updated_at, s.external_id, s.user_name, s.echo, s.updated_at
	FROM users u LEFT JOIN scim_users s ON s.user_id = u.id`

type scanner interface{ Scan(dest ...any) error }

func scanUserRec(sc scanner) (userRec, error) {
	var (
		r       userRec
		attrs   []byte
		ext     sql.NullString
		uname   sql.NullString
		echoRaw sql.NullString
		sUpd    sql.NullInt64
	)
	err := sc.Scan(&r.pk, &r.id, &r.name, &r.displayName, &r.email, &r.language, &r.timezone, &r.occupation,
		&r.status, &attrs, &r.created, &r.updated, &ext, &uname, &echoRaw, &sUpd)
	if err != nil {
		return r, err
	}
	if len(attrs) > 0 {
		if err := json.Unmarshal(attrs, &r.attrs); err != nil {
			return r, fmt.Errorf("decode custom attributes of user %s: %w", r.id, err)
		}
	}
	if ext.Valid {
		r.externalID = &ext.String
	}
	if uname.Valid {
		r.userName = &uname.String
	}
	if echoRaw.Valid && echoRaw.String != "" {
		if err := json.Unmarshal([]byte(echoRaw.String), &r.echo); err != nil {
			return r, fmt.Errorf("decode scim echo of user %s: %w", r.id, err)
		}
	}
	r.scimUpdated = sUpd.Int64
	return r, nil
}

// loadUser reads one user of the workspace; forUpdate locks its row on
// PostgreSQL for a read-modify-write.
func loadUser(ctx context.Context, d *db.DB, q db.Querier, ws int64, id string, forUpdate bool) (userRec, error) {
	query := userSelect + ` WHERE u.workspace_id = $1 AND u.public_id = $2`
	if forUpdate && d.Dialect == db.Postgres {
		query += ` FOR UPDATE OF u`
	}
	r, err := scanUserRec(q.QueryRowContext(ctx, query, ws, id))
	if db.IsNoRows(err) {
		return r, notFound("no user with id %q", id)
	}
	if err != nil {
		return r, fmt.Errorf("load user %s: %w", id, err)
	}
	return r, nil
}

// queryUsers reads users matching where (which uses $2... for args),
// ordered by their key, starting after afterPK.
func queryUsers(ctx context.Context, q db.Querier, ws int64, where string, args []any, afterPK int64, limit, offset int) ([]userRec, error) {
	all := append([]any{ws}, args...)
	all = append(all, afterPK, limit, offset)
	n := len(all)
	query := fmt.Sprintf(`%s WHERE u.workspace_id = $1 AND (%s) AND u.id > $%d ORDER BY u.id LIMIT $%d OFFSET $%d`,
		userSelect, where, n-2, n-1, n)
	rows, err := q.QueryContext(ctx, query, all...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []userRec
	for rows.Next() {
		r, err := scanUserRec(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func countUsers(ctx context.Context, q db.Querier, ws int64, where string, args []any) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM users u LEFT JOIN scim_users s ON s.user_id = u.id
		WHERE u.workspace_id = $1 AND (`+where+`)`, append([]any{ws}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// userSide is a user's scim_users row.
type userSide struct {
	externalID *string
	userName   *string
	echo       map[string]echo
}

// saveUserSide writes a user's scim_users row.
func saveUserSide(ctx context.Context, q db.Querier, ws, pk int64, side userSide, now int64) error {
	raw, err := json.Marshal(side.echo)
	if err != nil {
		return fmt.Errorf("encode scim echo: %w", err)
	}
	var lower *string
	if side.userName != nil {
		l := strings.ToLower(*side.userName)
		lower = &l
	}
	_, err = q.ExecContext(ctx, `INSERT INTO scim_users (user_id, workspace_id, external_id, user_name, user_name_lower, echo, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (user_id) DO UPDATE SET external_id = excluded.external_id, user_name = excluded.user_name,
		user_name_lower = excluded.user_name_lower, echo = excluded.echo, updated_at = excluded.updated_at`,
		pk, ws, side.externalID, side.userName, lower, string(raw), now)
	if db.IsUniqueViolation(err) && side.userName != nil {
		return newError(409, errUniqueness, "a user with userName %q already exists", *side.userName)
	}
	if err != nil {
		return fmt.Errorf("save scim data of user %d: %w", pk, err)
	}
	return nil
}

// userNameTaken reports whether a user other than except (a users key, 0
// for none) has userName name, case-insensitively: a user's userName is
// its scim_users.user_name or, without one, its email.
func userNameTaken(ctx context.Context, q db.Querier, ws int64, name string, except int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM users u LEFT JOIN scim_users s ON s.user_id = u.id
		WHERE u.workspace_id = $1 AND u.id <> $3 AND (s.user_name_lower = $2 OR (s.user_name_lower IS NULL AND u.email_lower = $2))`,
		ws, strings.ToLower(name), except).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check userName: %w", err)
	}
	return n > 0, nil
}

// groupRec is a group with its SCIM side data and a fingerprint of its
// memberships (count, sum of user keys, latest join), which changes with
// every membership change and so goes into the version without loading
// the members.
type groupRec struct {
	pk               int64
	name             string
	created, updated int64
	externalID       *string
	scimUpdated      int64
	memberCount      int64
	memberSum        int64
	memberLatest     int64
	members          []member // nil until loaded
}

type member struct {
	id, name, displayName string
}

const groupSelect = `SELECT g.id, g.name, g.created_at, g.updated_at, sg.external_id, sg.updated_at,
	(SELECT count(*) FROM group_members m WHERE m.group_id = g.id),
	(SELECT CAST(COALESCE(sum(m.user_id), 0) AS BIGINT) FROM group_members m WHERE m.group_id = g.id),
	(SELECT CAST(COALESCE(max(m.added_at), 0) AS BIGINT) FROM group_members m WHERE m.group_id = g.id)
	FROM groups g LEFT JOIN scim_groups sg ON sg.group_id = g.id`

func scanGroupRec(sc scanner) (groupRec, error) {
	var (
		r    groupRec
		ext  sql.NullString
		sUpd sql.NullInt64
	)
	err := sc.Scan(&r.pk, &r.name, &r.created, &r.updated, &ext, &sUpd, &r.memberCount, &r.memberSum, &r.memberLatest)
	if ext.Valid {
		r.externalID = &ext.String
	}
	r.scimUpdated = sUpd.Int64
	return r, err
}

// loadGroup reads one group of the workspace; id is its SCIM id (the
// decimal group id). forUpdate locks the row on PostgreSQL.
func loadGroup(ctx context.Context, d *db.DB, q db.Querier, ws int64, id string, forUpdate bool) (groupRec, error) {
	pk, err := strconv.ParseInt(id, 10, 64)
	if err != nil || pk <= 0 || strconv.FormatInt(pk, 10) != id {
		return groupRec{}, notFound("no group with id %q", id)
	}
	query := groupSelect + ` WHERE g.workspace_id = $1 AND g.id = $2`
	if forUpdate && d.Dialect == db.Postgres {
		query += ` FOR UPDATE OF g`
	}
	r, err := scanGroupRec(q.QueryRowContext(ctx, query, ws, pk))
	if db.IsNoRows(err) {
		return r, notFound("no group with id %q", id)
	}
	if err != nil {
		return r, fmt.Errorf("load group %s: %w", id, err)
	}
	return r, nil
}

func queryGroups(ctx context.Context, q db.Querier, ws int64, where string, args []any, afterPK int64, limit, offset int) ([]groupRec, error) {
	all := append([]any{ws}, args...)
	all = append(all, afterPK, limit, offset)
	n := len(all)
	query := fmt.Sprintf(`%s WHERE g.workspace_id = $1 AND (%s) AND g.id > $%d ORDER BY g.id LIMIT $%d OFFSET $%d`,
		groupSelect, where, n-2, n-1, n)
	rows, err := q.QueryContext(ctx, query, all...)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	defer rows.Close()
	var out []groupRec
	for rows.Next() {
		r, err := scanGroupRec(rows)
		if err != nil {
			return nil, fmt.Errorf("list groups: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func countGroups(ctx context.Context, q db.Querier, ws int64, where string, args []any) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM groups g LEFT JOIN scim_groups sg ON sg.group_id = g.id
		WHERE g.workspace_id = $1 AND (`+where+`)`, append([]any{ws}, args...)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count groups: %w", err)
	}
	return n, nil
}

// loadMembers fills in the members of groups, each list in user key order.
func loadMembers(ctx context.Context, q db.Querier, groups []groupRec) error {
	const batch = 500
	byPK := make(map[int64]*groupRec, len(groups))
	for i := range groups {
		groups[i].members = []member{}
		byPK[groups[i].pk] = &groups[i]
	}
	for start := 0; start < len(groups); start += batch {
		part := groups[start:min(start+batch, len(groups))]
		args := make([]any, len(part))
		marks := make([]string, len(part))
		for i, g := range part {
			args[i], marks[i] = g.pk, "$"+strconv.Itoa(i+1)
		}
		rows, err := q.QueryContext(ctx, `SELECT m.group_id, u.public_id, u.name, u.display_name FROM group_members m
			JOIN users u ON u.id = m.user_id WHERE m.group_id IN (`+strings.Join(marks, ", ")+`) ORDER BY m.group_id, u.id`, args...)
		if err != nil {
			return fmt.Errorf("list group members: %w", err)
		}
		for rows.Next() {
			var gid int64
			var m member
			if err := rows.Scan(&gid, &m.id, &m.name, &m.displayName); err != nil {
				rows.Close()
				return fmt.Errorf("list group members: %w", err)
			}
			g := byPK[gid]
			g.members = append(g.members, m)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("list group members: %w", err)
		}
	}
	return nil
}

// saveGroupSide writes a group's scim_groups row.
func saveGroupSide(ctx context.Context, q db.Querier, ws, pk int64, externalID *string, now int64) error {
	_, err := q.ExecContext(ctx, `INSERT INTO scim_groups (group_id, workspace_id, external_id, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (group_id) DO UPDATE SET external_id = excluded.external_id, updated_at = excluded.updated_at`,
		pk, ws, externalID, now)
	if err != nil {
		return fmt.Errorf("save scim data of group %d: %w", pk, err)
	}
	return nil
}

// groupNameTaken reports whether another group of the workspace has the
// name (case-insensitively, as groups.name_lower holds it).
func groupNameTaken(ctx context.Context, q db.Querier, ws int64, name string, except int64) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM groups WHERE workspace_id = $1 AND name_lower = $2 AND id <> $3`,
		ws, strings.ToLower(strings.TrimSpace(name)), except).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check group name: %w", err)
	}
	return n > 0, nil
}
