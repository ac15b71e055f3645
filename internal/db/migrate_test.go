package db_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

func TestMigrationsStayInStep(t *testing.T) {
	lite, err := db.Migrations(db.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := db.Migrations(db.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].Version != pg[i].Version || lite[i].Name != pg[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, lite[i].Version, lite[i].Name, pg[i].Version, pg[i].Name)
		}
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if err := d.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		v, err := d.SchemaVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		migs, _ := db.Migrations(d.Dialect)
		if want := migs[len(migs)-1].Version; v != want {
			t.Fatalf("schema version %d, want %d", v, want)
		}
	})
}

func TestUniqueViolationIsClassified(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ('a', 1)`); err != nil {
			t.Fatal(err)
		}
		_, err := d.Write().ExecContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ('a', 2)`)
		if !db.IsUniqueViolation(err) {
			t.Fatalf("duplicate insert: got %v, want a unique violation", err)
		}
		_, err = d.Write().ExecContext(ctx, `INSERT INTO api_keys (id, workspace_id, name, secret_hash, scopes, created_at) VALUES ('k', 999, 'n', 'h', '', 1)`)
		if !db.IsForeignKeyViolation(err) {
			t.Fatalf("dangling insert: got %v, want a foreign-key violation", err)
		}
	})
}

func TestInTxJoinsTheContextTransaction(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		outer := errors.New("outer fails after the inner write")
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			inner := db.WithTx(ctx, tx)
			if err := d.InTx(inner, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ('joined', 1)`)
				return err
			}); err != nil {
				return err
			}
			return outer
		})
		if !errors.Is(err, outer) {
			t.Fatal(err)
		}
		var n int
		if err := d.Read().QueryRowContext(ctx, `SELECT count(*) FROM workspaces`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("the inner write survived the outer rollback: %d %v", n, err)
		}
	})
}
