// Package dbtest gives tests a migrated database of each engine: a real
// SQLite file in t.TempDir(), or a fresh schema on the PostgreSQL server named
// by ROSTER_TEST_POSTGRES_DSN (tests on PostgreSQL skip loudly when it is
// unset; .ci/run always sets it).
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/db"
)

// EnvPostgresDSN names the variable that points tests at PostgreSQL.
const EnvPostgresDSN = "ROSTER_TEST_POSTGRES_DSN"

// Dialects lists the engines every storage test runs on.
var Dialects = []db.Dialect{db.SQLite, db.Postgres}

var warnOnce sync.Once

// Each runs fn once per engine as a subtest named after the engine.
func Each(t *testing.T, fn func(t *testing.T, d *db.DB)) {
	t.Helper()
	for _, dialect := range Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			fn(t, Open(t, dialect))
		})
	}
}

// Open returns a migrated database of the given engine, removed when the test
// ends.
func Open(tb testing.TB, dialect db.Dialect) *db.DB {
	tb.Helper()
	url := URL(tb, dialect)
	d, err := db.Open(context.Background(), db.Options{URL: url})
	if err != nil {
		tb.Fatalf("open %s: %v", dialect, err)
	}
	tb.Cleanup(func() { d.Close() })
	if err := d.Migrate(context.Background()); err != nil {
		tb.Fatalf("migrate %s: %v", dialect, err)
	}
	return d
}

// URL returns a database URL for a fresh, empty database of the engine: a new
// SQLite file, or a new PostgreSQL schema (dropped at cleanup) selected via
// search_path.
func URL(tb testing.TB, dialect db.Dialect) string {
	tb.Helper()
	switch dialect {
	case db.SQLite:
		return filepath.Join(tb.TempDir(), "roster.db")
	case db.Postgres:
		return postgresSchema(tb)
	}
	tb.Fatalf("unknown dialect %q", dialect)
	return ""
}

func postgresSchema(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(EnvPostgresDSN)
	if dsn == "" {
		warnOnce.Do(announceSkip)
		tb.Skipf("PostgreSQL tests skipped: %s is not set", EnvPostgresDSN)
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatalf("open postgres: %v", err)
	}
	defer admin.Close()
	var buf [6]byte
	_, _ = rand.Read(buf[:])
	schema := "t_" + hex.EncodeToString(buf[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		admin, err := sql.Open("pgx", dsn)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	return withSearchPath(tb, dsn, schema)
}

func withSearchPath(tb testing.TB, dsn, schema string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgresDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
