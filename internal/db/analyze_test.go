package db_test

import (
	"context"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

func TestAnalyzeStale(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if d.Dialect == db.SQLite {
			names, err := d.AnalyzeStale(ctx)
			if err != nil || names != nil {
				t.Fatalf("SQLite: AnalyzeStale = %v, %v; want nothing", names, err)
			}
			return
		}
		// A pinned connection, so the forced flush of its table statistics
		// happens on the backend that made the changes.
		conn, err := d.Write().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			// Autovacuum could analyse the table first (it did, once, under
			// load) and leave nothing stale to find.
			`ALTER TABLE users SET (autovacuum_enabled = false)`,
			`INSERT INTO workspaces (name, created_at) VALUES ('w', 0)`,
			`INSERT INTO users (workspace_id, public_id, name, email, email_lower, role, language, timezone, created_at, updated_at)
			 SELECT (SELECT id FROM workspaces WHERE name = 'w'), 'u' || i, 'User ' || i, 'u' || i || '@example.com', 'u' || i || '@example.com',
			        'learner', 'en', 'UTC', 0, 0 FROM generate_series(1, 1000) i`,
			`SELECT pg_stat_force_next_flush()`,
			`SELECT 1`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		conn.Close()

		names, err := d.AnalyzeStale(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(names, "users") {
			t.Fatalf("analysed %v; want users among them", names)
		}
		var tuples float64
		if err := d.Read().QueryRowContext(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'users'::regclass`).Scan(&tuples); err != nil {
			t.Fatal(err)
		}
		if tuples != 1000 {
			t.Fatalf("planner sees %v users after analysis; want 1000", tuples)
		}
		again, err := d.AnalyzeStale(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(again, "users") {
			t.Fatalf("users analysed again with no change since: %v", again)
		}
	})
}
