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

// insertUser inserts r and sets r.pk. Unique violations become conflicts
// naming the field that clashed.
func insertUser(ctx context.Context, q db.Querier, r *userRow) error {
	attrs, err := encodeAttributes(r.attributes)
	if err != nil {
		return err
	}
	err = q.QueryRowContext(ctx, `INSERT INTO users (workspace_id, public_id, name, display_name, email, email_lower, role,
		language, timezone, occupation, location, bio, from_api, status, password_hash, custom_attributes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`,
		r.workspaceID, r.publicID, r.name, r.displayName, r.email, strings.ToLower(r.email), r.role, r.language, r.timezone,
		r.occupation, r.location, r.bio, r.fromAPI, r.status, r.passwordHash, attrs,
		r.createdAt.UnixMilli(), r.updatedAt.UnixMilli()).Scan(&r.pk)
	if db.IsUniqueViolation(err) {
		return userConflict(err, r)
	}
	if err != nil {
		return fmt.Errorf("insert user: %w", err)
	}
	return counter.Add(ctx, q, r.workspaceID, counter.Users, 1)
}

// userConflict names the unique field a failed write clashed on.
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
	Query  string // substring of name or email, case-insensitive
	Email  string // exact email, case-insensitive
	Status string // active or deactivated; empty for both
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
	cond := strings.Join(where, " AND ")
	var total int
	var err error
	if len(where) == 1 {
		total, err = counter.Get(ctx, q, workspaceID, counter.Users)
	} else {
		err = q.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE `+cond, args...).Scan(&total)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("count users: %w", err)
	}
	if total == 0 || f.Offset >= total {
		return []userRow{}, total, nil
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+cond+
		fmt.Sprintf(` ORDER BY name, public_id LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	out := make([]userRow, 0, f.Limit)
	for rows.Next() {
		r, err := scanUser(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list users: %w", err)
		}
		out = append(out, r)
	}
	return out, total, rows.Err()
}
