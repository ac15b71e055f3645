package cli

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// `roster migrate --status` lists pending migrations without applying them,
// then applied ones; a database from a newer release is shown as such and
// `serve` refuses to start on it with a message that says why.
func TestMigrateStatusAndNewerSchema(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			env := map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_DATABASE_URL": dbtest.URL(t, dialect),
				"ROSTER_SECRET_KEY": apptest.TestSecretKey}
			migs, _ := db.Migrations(dialect)
			out, _, err := run(t, env, "migrate", "--status")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(out, "pending") != len(migs)+1 || strings.Contains(out, " applied") {
				t.Fatalf("status of a fresh database:\n%s", out)
			}
			if _, _, err := run(t, env, "migrate"); err != nil {
				t.Fatal(err)
			}
			out, _, err = run(t, env, "migrate", "--status")
			if err != nil {
				t.Fatal(err)
			}
			if strings.Count(out, " applied ") != len(migs) || !strings.Contains(out, ": 0 pending") || !regexp.MustCompile(`0001\s+foundation\s+applied\s+20`).MatchString(out) {
				t.Fatalf("status after migrating:\n%s", out)
			}

			d, err := db.Open(context.Background(), db.Options{URL: env["ROSTER_DATABASE_URL"]})
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Write().ExecContext(context.Background(),
				`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'next_release', 1)`)
			d.Close()
			if err != nil {
				t.Fatal(err)
			}
			out, _, err = run(t, env, "migrate", "--status")
			if err != nil || !regexp.MustCompile(`9999\s+next_release\s+applied \(newer release\)`).MatchString(out) || !strings.Contains(out, "will refuse to start") {
				t.Fatalf("status of a newer database: %v\n%s", err, out)
			}
			_, _, err = run(t, env, "serve", "--addr", freeAddr(t))
			if !errors.Is(err, db.ErrSchemaNewer) || !strings.Contains(err.Error(), "9999_next_release") {
				t.Fatalf("serve on a newer database: %v", err)
			}
		})
	}
}

// Two nodes started at once on one PostgreSQL database: both serve, each
// migration is applied by exactly one of them, and one admin key is printed.
func TestTwoNodesStartedAtOnceMigrateOnce(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_DATABASE_URL": url, "ROSTER_SECRET_KEY": apptest.TestSecretKey}
	nodes := make([]*served, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nodes[i], errs[i] = launchServe(t, env)
		}()
	}
	wg.Wait()
	applied := map[string]int{}
	keys := 0
	for i, n := range nodes {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		n.call(t, "GET", "/readyz", nil, 200, nil)
		if n.Key != "" {
			keys++
		}
		for _, line := range n.logLines(`"applied migration"`) {
			v := line[strings.Index(line, `"version":`):]
			applied[v[:strings.IndexByte(v, ',')]]++
		}
	}
	migs, _ := db.Migrations(db.Postgres)
	if len(applied) != len(migs) {
		t.Fatalf("applied %d distinct migrations, want %d: %v", len(applied), len(migs), applied)
	}
	for v, n := range applied {
		if n != 1 {
			t.Errorf("migration %s applied %d times", v, n)
		}
	}
	if keys != 1 {
		t.Errorf("%d admin keys printed, want 1", keys)
	}
	pg, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	var workspaces int
	if err := pg.QueryRow(`SELECT count(*) FROM workspaces`).Scan(&workspaces); err != nil || workspaces != 1 {
		t.Fatalf("%d workspaces after two first starts (%v)", workspaces, err)
	}
}
