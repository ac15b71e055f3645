package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one versioned SQL file.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the dialect's migrations in version order. Files are
// named NNNN_name.sql; the two dialects must carry the same versions.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("read %s migrations: %w", d, err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s/%s: name must be NNNN_name.sql", d, name)
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("migration %s: version %d used twice", d, out[i].Version)
		}
	}
	return out, nil
}

// migrationLockID is an arbitrary constant for pg_advisory_xact_lock, so that
// nodes starting together apply each migration once.
const migrationLockID = 7_305_511_042

// Migrate applies every migration not yet recorded in schema_migrations, each
// in its own transaction. It is safe to run from several processes at once.
// Migrations only move forward: there are no down migrations, and a database
// that a newer release has migrated is refused with ErrSchemaNewer before
// anything is applied.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.MigrateApplied(ctx)
	return err
}

// MigrateApplied is Migrate, returning the versions this call applied (none
// when another node got there first).
func (db *DB) MigrateApplied(ctx context.Context) ([]int, error) {
	migs, err := Migrations(db.Dialect)
	if err != nil {
		return nil, err
	}
	var applied []int
	for _, m := range migs {
		var did bool
		err := db.migrationTx(ctx, func(tx *sql.Tx) error {
			if db.Dialect == Postgres {
				// Held to the end of the transaction: a node starting at
				// the same time waits, then finds the migration recorded.
				if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID); err != nil {
					return fmt.Errorf("lock: %w", err)
				}
			}
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
				return fmt.Errorf("create schema_migrations: %w", err)
			}
			if err := db.checkNotNewer(ctx, tx, migs); err != nil {
				return err
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = $1`, m.Version).Scan(&n); err != nil {
				return fmt.Errorf("read schema_migrations: %w", err)
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if step := goSteps[db.Dialect][m.Version]; step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			did = true
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
				m.Version, m.Name, time.Now().UnixMilli())
			return err
		})
		if errors.Is(err, ErrSchemaNewer) {
			return applied, err
		}
		if err != nil {
			return applied, fmt.Errorf("migration %04d_%s (%s): %w", m.Version, m.Name, db.Dialect, err)
		}
		if did {
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// goSteps are the parts of a migration that SQL alone cannot express; each
// runs in its migration's transaction after the file's SQL.
var goSteps = map[Dialect]map[int]func(context.Context, *sql.Tx) error{
	SQLite: {8: autoincrementEverywhere},
}

// migrationTx runs fn in a transaction. On SQLite it takes the writer
// connection with foreign keys off, as SQLite's table rebuild requires (a
// DROP TABLE would otherwise cascade into the rows that reference it), and
// checks every foreign key before committing.
func (db *DB) migrationTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.Dialect != SQLite {
		return db.InTx(ctx, fn)
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return fmt.Errorf("take writer: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return fmt.Errorf("foreign keys off: %w", err)
	}
	// Back on even when the migration fails: the connection goes back to the pool.
	defer conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`) //nolint:errcheck
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := foreignKeysHold(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func foreignKeysHold(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		return fmt.Errorf("check foreign keys: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var table string
		var rowid sql.NullInt64
		var parent string
		var fk int
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return fmt.Errorf("check foreign keys: %w", err)
		}
		return fmt.Errorf("foreign key broken: %s row %d references a missing %s", table, rowid.Int64, parent)
	}
	return rows.Err()
}

// SchemaVersion returns the highest applied migration version, 0 if none.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT max(version) FROM schema_migrations`).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), nil
}
