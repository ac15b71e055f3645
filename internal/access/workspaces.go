package access

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Workspace is a tenant: every user, group, course and key belongs to one.
type Workspace struct {
	ID        int64
	Name      string
	CreatedAt time.Time
}

// Service manages workspaces and API keys.
type Service struct {
	db       *db.DB
	now      func() time.Time
	lastUsed lastUsedThrottle
	// authCache maps a verified secret's hash to its principal while
	// invalidations can reach this node (see authcache.go).
	authCache authCache
}

// NewService returns a Service over d; now is the clock (time.Now in
// production).
func NewService(d *db.DB, now func() time.Time) *Service {
	return &Service{db: d, now: now}
}

// CreateWorkspace creates a workspace. Returns a conflict error if the name is
// taken and an invalid error if it is empty or longer than 100 characters.
func (s *Service) CreateWorkspace(ctx context.Context, name string) (Workspace, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Workspace{}, fault.Invalid("name", "must be 1 to 100 characters")
	}
	ws := Workspace{Name: name, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ($1, $2) RETURNING id`,
			ws.Name, ws.CreatedAt.UnixMilli()).Scan(&ws.ID)
	})
	if db.IsUniqueViolation(err) {
		return Workspace{}, fault.Conflict("workspace_exists", "name", "a workspace named %q already exists", name)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("create workspace %q: %w", name, err)
	}
	return ws, nil
}

// WorkspaceByName finds a workspace. Returns not_found if there is none.
func (s *Service) WorkspaceByName(ctx context.Context, name string) (Workspace, error) {
	var ws Workspace
	var created int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT id, name, created_at FROM workspaces WHERE name = $1`, name).
		Scan(&ws.ID, &ws.Name, &created)
	if db.IsNoRows(err) {
		return Workspace{}, fault.NotFound("workspace " + name)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("find workspace %q: %w", name, err)
	}
	ws.CreatedAt = time.UnixMilli(created).UTC()
	return ws, nil
}

// ListWorkspaces returns every workspace by id.
func (s *Service) ListWorkspaces(ctx context.Context) ([]Workspace, error) {
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, name, created_at FROM workspaces ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list workspaces: %w", err)
	}
	defer rows.Close()
	var out []Workspace
	for rows.Next() {
		var ws Workspace
		var created int64
		if err := rows.Scan(&ws.ID, &ws.Name, &created); err != nil {
			return nil, fmt.Errorf("list workspaces: %w", err)
		}
		ws.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, ws)
	}
	return out, rows.Err()
}

// DefaultWorkspaceName is the workspace created on first start.
const DefaultWorkspaceName = "default"

// Bootstrap prepares an empty database for its first use: it creates the
// default workspace and one key with every scope, and returns the key's
// secret. On a database that already has a workspace it does nothing and
// returns "".
func (s *Service) Bootstrap(ctx context.Context) (secret string, err error) {
	var n int
	if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM workspaces`).Scan(&n); err != nil {
		return "", fmt.Errorf("count workspaces: %w", err)
	}
	if n > 0 {
		return "", nil
	}
	ws, err := s.CreateWorkspace(ctx, DefaultWorkspaceName)
	if fault.KindOf(err) == fault.KindConflict {
		return "", nil // another node bootstrapped first
	}
	if err != nil {
		return "", err
	}
	_, secret, err = s.CreateKey(ctx, NewKey{WorkspaceID: ws.ID, Name: "admin", Scopes: AllScopes})
	return secret, err
}

// GetWorkspace returns a workspace by id. Returns not_found if there is none.
func (s *Service) GetWorkspace(ctx context.Context, id int64) (Workspace, error) {
	ws := Workspace{ID: id}
	var created int64
	err := s.db.Read().QueryRowContext(ctx, `SELECT name, created_at FROM workspaces WHERE id = $1`, id).Scan(&ws.Name, &created)
	if db.IsNoRows(err) {
		return Workspace{}, fault.NotFound(fmt.Sprintf("workspace %d", id))
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("get workspace %d: %w", id, err)
	}
	ws.CreatedAt = time.UnixMilli(created).UTC()
	return ws, nil
}

// RenameWorkspace changes a workspace's name, with CreateWorkspace's rules.
func (s *Service) RenameWorkspace(ctx context.Context, id int64, name string) (Workspace, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 {
		return Workspace{}, fault.Invalid("name", "must be 1 to 100 characters")
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE workspaces SET name = $1 WHERE id = $2`, name, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound(fmt.Sprintf("workspace %d", id))
		}
		return nil
	})
	if db.IsUniqueViolation(err) {
		return Workspace{}, fault.Conflict("workspace_exists", "name", "a workspace named %q already exists", name)
	}
	if err != nil {
		return Workspace{}, fmt.Errorf("rename workspace %d: %w", id, err)
	}
	return s.GetWorkspace(ctx, id)
}
