package db_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestStatementCacheNestedUse runs the same statement again while its first
// result set is still open on the same connection (inside one transaction):
// the cache must hand out a second statement, not reset the first.
func TestStatementCacheNestedUse(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ($1, 1)`, name); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT name FROM workspaces WHERE id > $1 ORDER BY id`
	err := d.InTx(ctx, func(tx *sql.Tx) error {
		for round := 0; round < 3; round++ {
			rows, err := tx.QueryContext(ctx, q, 0)
			if err != nil {
				return err
			}
			var outer []string
			for rows.Next() {
				var name string
				if err := rows.Scan(&name); err != nil {
					return err
				}
				outer = append(outer, name)
				var inner int
				if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`) AS x`, 1).Scan(&inner); err != nil {
					return err
				}
				var again string
				if err := tx.QueryRowContext(ctx, q, 2).Scan(&again); err != nil || again != "c" {
					t.Fatalf("nested use of the same statement: %q %v", again, err)
				}
			}
			if err := rows.Close(); err != nil {
				return err
			}
			if len(outer) != 3 {
				t.Fatalf("round %d: outer query saw %v", round, outer)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
