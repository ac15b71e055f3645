// Package db opens Roster's database — an embedded SQLite file or a
// PostgreSQL server — and runs its migrations. Feature packages own their SQL
// and reach the database only through *DB, so both engines run the same code.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver
)

// Dialect names the SQL engine behind a *DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Querier is what store functions need: a *sql.DB, *sql.Conn or *sql.Tx.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is an open database. On SQLite, writes go through a pool of one
// connection (SQLite has one writer; queueing in Go is cheaper than
// SQLITE_BUSY retries) and reads through a separate pool. On PostgreSQL both
// are the same pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	// Location is the SQLite file path or the PostgreSQL DSN without password.
	Location string
	// dsn is the PostgreSQL connection string, for Listen's own connection.
	dsn string
}

// Options selects and tunes the database.
type Options struct {
	// URL is "postgres://…" / "postgresql://…" for PostgreSQL, or a file path
	// (optionally "sqlite://path" or "file:path") for SQLite. Empty means
	// DataDir/roster.db.
	URL string
	// DataDir holds the SQLite file when URL is empty. Default "./data".
	DataDir string
	// MaxConns caps the PostgreSQL pool and the SQLite read pool. Default
	// max(4, 2*GOMAXPROCS) for SQLite reads and 20 for PostgreSQL.
	MaxConns int
}

// Open connects to the database named by opts. It does not migrate; call
// Migrate.
func Open(ctx context.Context, opts Options) (*DB, error) {
	u := strings.TrimSpace(opts.URL)
	path, ok := SQLitePath(opts)
	if !ok {
		return openPostgres(ctx, u, opts.MaxConns)
	}
	return openSQLite(ctx, path, opts.MaxConns)
}

// SQLitePath is the SQLite file opts select, and false when they select
// PostgreSQL.
func SQLitePath(opts Options) (string, bool) {
	u := strings.TrimSpace(opts.URL)
	if strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://") {
		return "", false
	}
	path := u
	path = strings.TrimPrefix(path, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		dir := opts.DataDir
		if dir == "" {
			dir = "data"
		}
		path = filepath.Join(dir, "roster.db")
	}
	return path, true
}

func openSQLite(ctx context.Context, path string, maxConns int) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	// busy_timeout must come first so the other pragmas wait for a lock
	// rather than fail when another process (the CLI) holds the file.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	write, err := sql.Open(cachedSQLiteDriver(), "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open(cachedSQLiteDriver(), "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	if maxConns <= 0 {
		maxConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
	read.SetMaxOpenConns(maxConns)
	read.SetMaxIdleConns(maxConns)
	db := &DB{Dialect: SQLite, write: write, read: read, Location: path}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func openPostgres(ctx context.Context, dsn string, maxConns int) (*DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if maxConns <= 0 {
		maxConns = 20
	}
	pool.SetMaxOpenConns(maxConns)
	pool.SetMaxIdleConns(maxConns)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	db := &DB{Dialect: Postgres, write: pool, read: pool, Location: redactDSN(dsn), dsn: dsn}
	if err := db.ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.write.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to %s database %s: %w", db.Dialect, db.Location, err)
	}
	return nil
}

// Ping checks that the database answers; /readyz uses it.
func (db *DB) Ping(ctx context.Context) error { return db.ping(ctx) }

// Close closes both pools.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Read is the pool for queries outside a transaction.
func (db *DB) Read() Querier { return db.read }

// ReadIn is where a read in ctx must go to see the request's own writes: the
// transaction ctx carries (WithTx), else the read pool. A request whose
// writes join an outer transaction (an idempotent request) reads its
// results back through here.
func (db *DB) ReadIn(ctx context.Context) Querier {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return tx
	}
	return db.read
}

// ReadPool is the read pool itself (the same as Write on PostgreSQL), for
// pool statistics.
func (db *DB) ReadPool() *sql.DB { return db.read }

// Write is the pool that write transactions use. River and other components
// that must share our transactions take it from here.
func (db *DB) Write() *sql.DB { return db.write }

// InTx runs fn in a transaction and commits when fn returns nil. Every write
// in Roster goes through here, so a failing request writes nothing.
//
// When ctx already carries a transaction (WithTx), fn joins it inside a
// savepoint and nothing is committed here: the owner of that transaction
// commits or rolls back the whole, and a failing fn leaves none of its writes
// behind. A workflow step uses this to run an operation, record its result
// and enqueue the next step atomically; an idempotent request, to commit its
// writes and its recorded answer together.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if tx, ok := ctx.Value(txKey{}).(*sql.Tx); ok {
		return inSavepoint(ctx, tx, fn)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type txKey struct{}

// inSavepoint runs fn inside a savepoint of tx, rolled back to if fn fails.
func inSavepoint(ctx context.Context, tx *sql.Tx, fn func(tx *sql.Tx) error) error {
	if _, err := tx.ExecContext(ctx, `SAVEPOINT roster_join`); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	if err := fn(tx); err != nil {
		// Savepoints nest by name: this undoes and closes the innermost one.
		if _, rbErr := tx.ExecContext(context.WithoutCancel(ctx), `ROLLBACK TO SAVEPOINT roster_join`); rbErr == nil {
			_, _ = tx.ExecContext(context.WithoutCancel(ctx), `RELEASE SAVEPOINT roster_join`)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT roster_join`); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// WithTx returns ctx carrying tx, so that every InTx under it joins tx.
func WithTx(ctx context.Context, tx *sql.Tx) context.Context {
	return context.WithValue(ctx, txKey{}, tx)
}

func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres"
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
	}
	return u.String()
}
