package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// A database migrated by a newer release is refused before anything is
// applied, with a message that says what to do; the status lists the
// unknown version.
func TestNewerSchemaIsRefused(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		migs, _ := db.Migrations(d.Dialect)
		newest := migs[len(migs)-1].Version
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from_the_future', 1)`, newest+100); err != nil {
			t.Fatal(err)
		}
		err := d.Migrate(ctx)
		if !errors.Is(err, db.ErrSchemaNewer) {
			t.Fatalf("migrate on a newer schema: %v, want ErrSchemaNewer", err)
		}
		for _, want := range []string{"from_the_future", "newer release", "migrations only move forward"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("message %q lacks %q", err, want)
			}
		}
		states, err := d.MigrationStatus(ctx)
		if err != nil {
			t.Fatal(err)
		}
		last := states[len(states)-1]
		if !last.Unknown || !last.Applied || last.Version != newest+100 || len(states) != len(migs)+1 {
			t.Fatalf("status: %+v", states)
		}
	})
}

// The status of a fresh database lists every migration as pending and
// creates nothing.
func TestMigrationStatusOfAFreshDatabase(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			ctx := context.Background()
			d, err := db.Open(ctx, db.Options{URL: dbtest.URL(t, dialect)})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			states, err := d.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			migs, _ := db.Migrations(dialect)
			if len(states) != len(migs) {
				t.Fatalf("%d states for %d migrations", len(states), len(migs))
			}
			for _, s := range states {
				if s.Applied {
					t.Fatalf("fresh database shows %+v applied", s)
				}
			}
			applied, err := d.MigrateApplied(ctx)
			if err != nil || len(applied) != len(migs) {
				t.Fatalf("migrate applied %v, %v", applied, err)
			}
			states, _ = d.MigrationStatus(ctx)
			for _, s := range states {
				if !s.Applied || s.AppliedAt.IsZero() {
					t.Fatalf("after migrating: %+v", s)
				}
			}
		})
	}
}

// Nodes that start together on one PostgreSQL database apply each migration
// once between them (the advisory lock), and none fails.
func TestConcurrentMigrationsApplyOnce(t *testing.T) {
	url := dbtest.URL(t, db.Postgres)
	const nodes = 4
	ctx := context.Background()
	dbs := make([]*db.DB, nodes)
	for i := range dbs {
		d, err := db.Open(ctx, db.Options{URL: url, MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		dbs[i] = d
	}
	applied := make([][]int, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, d := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			applied[i], errs[i] = d.MigrateApplied(ctx)
		}()
	}
	close(start)
	wg.Wait()
	times := map[int]int{}
	for i := range dbs {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		for _, v := range applied[i] {
			times[v]++
		}
	}
	migs, _ := db.Migrations(db.Postgres)
	for _, m := range migs {
		if times[m.Version] != 1 {
			t.Errorf("migration %04d applied %d times", m.Version, times[m.Version])
		}
	}
}
