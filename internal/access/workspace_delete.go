package access

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster/internal/fault"
)

// contentTables are what a person deleting a workspace is shown they will
// lose; everything else in the workspace goes with it too (every table
// references workspaces ON DELETE CASCADE).
var contentTables = []struct{ table, label string }{
	{"users", "people"}, {"groups", "groups"}, {"courses", "courses"}, {"workflows", "workflows"},
	{"webhook_endpoints", "webhook endpoints"}, {"api_keys", "API keys"},
}

// Count is a number of things of one kind.
type Count struct {
	Label string
	N     int
}

// WorkspaceContents counts what deleting the workspace would remove.
func (s *Service) WorkspaceContents(ctx context.Context, id int64) ([]Count, error) {
	out := make([]Count, 0, len(contentTables))
	for _, t := range contentTables {
		var n int
		if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM `+t.table+` WHERE workspace_id = $1`, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("count %s: %w", t.table, err)
		}
		out = append(out, Count{Label: t.label, N: n})
	}
	return out, nil
}

// DeleteWorkspace deletes a workspace and everything in it in one
// transaction. Its keys stop working at once on every node: requests with
// them are answered 401, never a 500 from a half-deleted workspace.
func (s *Service) DeleteWorkspace(ctx context.Context, id int64) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM workspaces WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete workspace %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fault.NotFound(fmt.Sprintf("workspace %d", id))
		}
		return s.db.Notify(ctx, tx, authChannel, allKeys)
	})
	if err == nil {
		s.authCache.forget(allKeys)
	}
	return err
}
