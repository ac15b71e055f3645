package db

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"
)

// ErrSchemaNewer means the database was migrated by a newer Roster than this
// one. Migrations only move forward, so an older binary must not run on it:
// it would write rows the newer schema does not expect. Start the newer
// release (or a later one) instead.
var ErrSchemaNewer = errors.New("the database schema is newer than this roster")

// MigrationState is one migration as `roster migrate --status` shows it.
type MigrationState struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when pending
	// Unknown marks a version recorded in the database that this binary
	// does not carry (written by a newer release).
	Unknown bool
}

// MigrationStatus lists every migration this binary carries, applied or
// pending, plus any applied version it does not know, in version order. It
// reads only; it does not migrate.
func (db *DB) MigrationStatus(ctx context.Context) ([]MigrationState, error) {
	migs, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	applied, err := db.appliedMigrations(ctx)
	if err != nil {
		return nil, err
	}
	var out []MigrationState
	known := map[int]bool{}
	for _, m := range migs {
		known[m.Version] = true
		s := MigrationState{Version: m.Version, Name: m.Name}
		if a, ok := applied[m.Version]; ok {
			s.Applied, s.AppliedAt = true, a.AppliedAt
		}
		out = append(out, s)
	}
	for v, a := range applied {
		if !known[v] {
			out = append(out, MigrationState{Version: v, Name: a.Name, Applied: true, AppliedAt: a.AppliedAt, Unknown: true})
		}
	}
	sortStates(out)
	return out, nil
}

func sortStates(s []MigrationState) {
	sort.Slice(s, func(i, j int) bool { return s[i].Version < s[j].Version })
}

// appliedMigrations reads schema_migrations; an empty map when the table does
// not exist yet (a fresh database).
func (db *DB) appliedMigrations(ctx context.Context) (map[int]MigrationState, error) {
	exists, err := db.hasSchemaTable(ctx)
	if err != nil || !exists {
		return map[int]MigrationState{}, err
	}
	rows, err := db.read.QueryContext(ctx, `SELECT version, name, applied_at FROM schema_migrations`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]MigrationState{}
	for rows.Next() {
		var s MigrationState
		var at int64
		if err := rows.Scan(&s.Version, &s.Name, &at); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		s.Applied, s.AppliedAt = true, time.UnixMilli(at).UTC()
		out[s.Version] = s
	}
	return out, rows.Err()
}

func (db *DB) hasSchemaTable(ctx context.Context) (bool, error) {
	var n int
	var err error
	if db.Dialect == Postgres {
		// to_regclass follows search_path, as the tables themselves do.
		err = db.read.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT to_regclass('schema_migrations') AS t) x WHERE t IS NOT NULL`).Scan(&n)
	} else {
		err = db.read.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	}
	if err != nil {
		return false, fmt.Errorf("look for schema_migrations: %w", err)
	}
	return n > 0, nil
}

// checkNotNewer refuses a database that carries a migration this binary does
// not know: one above its newest means a newer release migrated it
// (ErrSchemaNewer). q is the migrating transaction, so the check and the
// migrations see the same state.
func (db *DB) checkNotNewer(ctx context.Context, q Querier, migs []Migration) error {
	if len(migs) == 0 {
		return nil
	}
	known := map[int]bool{}
	for _, m := range migs {
		known[m.Version] = true
	}
	newest := migs[len(migs)-1].Version
	rows, err := q.QueryContext(ctx, `SELECT version, name FROM schema_migrations WHERE version > $1 ORDER BY version`, newest)
	if err != nil {
		return fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	var v int
	var name string
	if rows.Next() {
		if err := rows.Scan(&v, &name); err != nil {
			return err
		}
		return fmt.Errorf("%w: the database is at migration %04d_%s but this roster (%s) knows migrations up to %04d; "+
			"a newer release has upgraded it and migrations only move forward, so run that release or a later one",
			ErrSchemaNewer, v, name, db.Dialect, newest)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return nil
}
