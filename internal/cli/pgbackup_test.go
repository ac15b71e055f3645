package cli

import (
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestPostgresDumpAndRestore runs the README's PostgreSQL backup commands
// under write load: pg_dump of the live database, pg_restore into a new
// database, and Roster started on it with the same ROSTER_SECRET_KEY finds
// every acknowledged create and signs with the endpoint's secret. (The test
// dumps its own schema; the README dumps the whole database.)
func TestPostgresDumpAndRestore(t *testing.T) {
	dsn := os.Getenv(dbtest.EnvPostgresDSN)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: %s is not set", dbtest.EnvPostgresDSN)
	}
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("SKIPPED: %s is not installed", tool)
		}
	}
	src := dbtest.URL(t, db.Postgres)
	u, err := url.Parse(src)
	if err != nil {
		t.Fatal(err)
	}
	schema := u.Query().Get("search_path")
	s := apptest.Start(t, db.Postgres, apptest.WithDatabaseURL(src))
	tenant := s.Tenant(t)
	rcURL, received, bodies := receiver(t)
	var ep struct{ ID, Secret string }
	tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rcURL, "eventTypes": []string{"group.created"}}).
		Expect(t, http.StatusCreated).JSON(t, &ep)

	load := startCreateLoad(t, s, tenant)
	load.waitFor(100)
	before := load.acked()
	dump := filepath.Join(t.TempDir(), "roster.dump")
	// libpq takes no search_path parameter in a URL: the base DSN, and the
	// schema by name.
	if out, err := exec.Command("pg_dump", "--format=custom", "--schema="+schema, "--file="+dump, dsn).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	load.stop(t)

	name := "roster_restore_" + strings.ToLower(access.NewID(8))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	// Cleanups run after this function returns: the connection stays open
	// for the drop, which comes after the restored server has stopped.
	t.Cleanup(func() { admin.Close() })
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	target, _ := url.Parse(dsn)
	target.Path = "/" + name
	if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+target.String(), dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	q := target.Query()
	q.Set("search_path", schema)
	target.RawQuery = q.Encode()
	s2 := apptest.Start(t, db.Postgres, apptest.WithDatabaseURL(target.String())) // same apptest.TestSecretKey
	checkRestored(t, s2, tenant, before, ep.ID, ep.Secret, received, bodies)
}
