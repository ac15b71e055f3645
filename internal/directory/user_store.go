package directory

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/counter"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

const userColumns = `id, workspace_id, public_id, name, display_name, email, role, language, timezone,
	occupation, location, bio, from_api, status, password_hash, custom_attributes, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanUser(s rowScanner) (userRow, error) {
	var (
		r       userRow
		attrs   []byte
		created int64
		updated int64
	)
	err := s.Scan(&r.pk, &r.workspaceID, &r.publicID, &r.name, &r.displayName, &r.email, &r.role, &r.language,
		&r.timezone, &r.occupation, &r.location, &r.bio, &r.fromAPI, &r.status, &r.passwordHash, &attrs, &created, &updated)
	if err != nil {
		return r, err
	}
	if len(attrs) > 0 {
		if err := json.Unmarshal(attrs, &r.attributes); err != nil {
			return r, fmt.Errorf("decode custom attributes of user %s: %w", r.publicID, err)
		}
	}
	r.createdAt = time.UnixMilli(created).UTC()
	r.updatedAt = time.UnixMilli(updated).UTC()
	return r, nil
}

func encodeAttributes(attrs map[string]any) (string, error) {
	if attrs == nil {
		return "{}", nil
	}
	b, err := json.Marshal(attrs)
	if err != nil {
		return "", fmt.Errorf("encode custom attributes: %w", err)
	}
	return string(b), nil
}

// insertUsers inserts users of one workspace with a few multi-row
// statements, sets their pk and counts them once. Unique violations become
// conflicts naming the field that clashed.
func insertUsers(ctx context.Context, d *db.DB, q db.Querier, rows []*userRow) error {
	if len(rows) == 0 {
		return nil
	}
	err := db.InChunks(rows, 17, db.ParamBudgetFor(d.Dialect)-1, func(chunk []*userRow) error {
		return insertUserChunk(ctx, q, chunk)
	})
	if err != nil {
		return err
	}
	return counter.Add(ctx, q, rows[0].workspaceID, counter.Users, len(rows))
}

// insertUserChunk inserts users in one statement. Ids are matched back by
// public id: neither engine promises RETURNING rows in VALUES order.
func insertUserChunk(ctx context.Context, q db.Querier, chunk []*userRow) error {
	var b strings.Builder
	b.WriteString(`INSERT INTO users (workspace_id, public_id, name, display_name, email, email_lower, role,
		language, timezone, occupation, location, bio, from_api, status, password_hash, custom_attributes, created_at, updated_at) VALUES `)
	args := make([]any, 0, 1+17*len(chunk))
	args = append(args, chunk[0].workspaceID)
	byID := make(map[string]*userRow, len(chunk))
	for i, r := range chunk {
		attrs, err := encodeAttributes(r.attributes)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteString(", ")
		}
		args = append(args, r.publicID, r.name, r.displayName, r.email, strings.ToLower(r.email), r.role, r.language, r.timezone,
			r.occupation, r.location, r.bio, r.fromAPI, r.status, r.passwordHash, attrs, r.createdAt.UnixMilli(), r.updatedAt.UnixMilli())
		b.WriteString("($1, " + db.Placeholders(len(args)-16, 17) + ")")
		byID[r.publicID] = r
	}
	rows, err := q.QueryContext(ctx, b.String()+` RETURNING id, public_id`, args...)
	if err != nil {
		return insertUsersErr(err, chunk)
	}
	defer rows.Close()
	for rows.Next() {
		var pk int64
		var publicID string
		if err := rows.Scan(&pk, &publicID); err != nil {
			return fmt.Errorf("insert users: %w", err)
		}
		byID[publicID].pk = pk
	}
	if err := rows.Err(); err != nil {
		return insertUsersErr(err, chunk)
	}
	return nil
}

// insertUsersErr turns a failed insert into a conflict when a unique key
// clashed: naming the value when one user was inserted, the field otherwise
// (a bulk call checks its items first, so only a concurrent writer gets
// here).
func insertUsersErr(err error, chunk []*userRow) error {
	switch {
	case !db.IsUniqueViolation(err):
		return fmt.Errorf("insert users: %w", err)
	case len(chunk) == 1:
		return userConflict(err, chunk[0])
	case db.UniqueViolationOn(err, "public_id"):
		return fault.Conflict("id_taken", "id", "a user with one of these ids was created meanwhile; retry")
	}
	return fault.Conflict("email_taken", "email", "a user with one of these emails was created meanwhile; retry")
}

// userConflict names the unique field a failed write of r clashed on.
func userConflict(err error, r *userRow) error {
	if db.UniqueViolationOn(err, "public_id") {
		return fault.Conflict("id_taken", "id", "a user with id %q already exists", r.publicID)
	}
	return fault.Conflict("email_taken", "email", "a user with email %q already exists", r.email)
}

func getUser(ctx context.Context, d *db.DB, q db.Querier, workspaceID int64, publicID string, forUpdate bool) (userRow, error) {
	query := `SELECT ` + userColumns + ` FROM users WHERE workspace_id = $1 AND public_id = $2`
	if forUpdate && d.Dialect == db.Postgres {
		query += ` FOR UPDATE`
	}
	r, err := scanUser(q.QueryRowContext(ctx, query, workspaceID, publicID))
	if db.IsNoRows(err) {
		return r, fault.NotFound("user " + publicID)
	}
	if err != nil {
		return r, fmt.Errorf("get user %s: %w", publicID, err)
	}
	return r, nil
}

func updateUserRow(ctx context.Context, q db.Querier, r *userRow) error {
	attrs, err := encodeAttributes(r.attributes)
	if err != nil {
		return err
	}
	_, err = q.ExecContext(ctx, `UPDATE users SET name = $1, display_name = $2, email = $3, email_lower = $4, role = $5,
		language = $6, timezone = $7, occupation = $8, location = $9, bio = $10, from_api = $11, status = $12,
		password_hash = $13, custom_attributes = $14, updated_at = $15 WHERE id = $16`,
		r.name, r.displayName, r.email, strings.ToLower(r.email), r.role, r.language, r.timezone, r.occupation,
		r.location, r.bio, r.fromAPI, r.status, r.passwordHash, attrs, r.updatedAt.UnixMilli(), r.pk)
	if db.IsUniqueViolation(err) {
		return userConflict(err, r)
	}
	if err != nil {
		return fmt.Errorf("update user %s: %w", r.publicID, err)
	}
	return nil
}

func deleteUserRow(ctx context.Context, q db.Querier, r *userRow) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM users WHERE id = $1`, r.pk); err != nil {
		return fmt.Errorf("delete user: %w", err)
	}
	return counter.Add(ctx, q, r.workspaceID, counter.Users, -1)
}

// UserFilter selects users for a list.
type UserFilter struct {
	Query  string   // substring of name or email, case-insensitive
	Email  string   // exact email, case-insensitive
	Status string   // active or deactivated; empty for both
	Roles  []string // any of these roles; empty for all
	Offset int
	Limit  int
}

func listUserRows(ctx context.Context, q db.Querier, workspaceID int64, f UserFilter) ([]userRow, int, error) {
	where := []string{"workspace_id = $1"}
	args := []any{workspaceID}
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, strings.ReplaceAll(cond, "?", fmt.Sprintf("$%d", len(args))))
	}
	if f.Query != "" {
		pattern := "%" + db.EscapeLike(strings.ToLower(f.Query)) + "%"
		add(`(email_lower LIKE ? ESCAPE '\' OR lower(name) LIKE ? ESCAPE '\')`, pattern)
	}
	if f.Email != "" {
		add(`email_lower = ?`, strings.ToLower(strings.TrimSpace(f.Email)))
	}
	if f.Status != "" {
		add(`status = ?`, f.Status)
	}
	if len(f.Roles) > 0 {
		marks := make([]string, len(f.Roles))
		for i, r := range f.Roles {
			args = append(args, r)
			marks[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, `role IN (`+strings.Join(marks, ", ")+`)`)
	}
	cond := strings.Join(where, " AND ")
	// The total comes with the page in one statement: an unfiltered list
	// reads the kept count, a filtered one counts its matches.
	totalSQL := `(SELECT count(*) FROM users WHERE ` + cond + `)`
	if len(where) == 1 {
		totalSQL = counter.Subquery("$1", counter.Users)
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+`, `+totalSQL+` FROM users WHERE `+cond+
		fmt.Sprintf(` ORDER BY name, public_id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := make([]userRow, 0, f.Limit)
	var total int
	for rows.Next() {
		r, err := scanUser(withTrailing{rows, &total})
		if err != nil {
			return nil, 0, fmt.Errorf("list users: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	if len(out) == 0 && f.Offset > 0 {
		// A page past the end has no row to carry the total.
		if err := q.QueryRowContext(ctx, `SELECT `+totalSQL, args[:len(args)-2]...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count users: %w", err)
		}
	}
	return out, total, nil
}

// withTrailing scans a row whose last columns, after the ones the caller
// asks for, go to extra.
type withTrailing struct {
	rows  rowScanner
	extra any
}

func (w withTrailing) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra)...) }
