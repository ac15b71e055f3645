// Package jobs runs Roster's durable background work on River, over the same
// database as everything else, so that a job is inserted in the transaction
// of the change that causes it: it exists exactly when the change committed.
//
// SQLite: River uses Roster's single-connection write pool (db.Write()), so
// River's own writes queue behind ours instead of failing with SQLITE_BUSY,
// and InsertTx works with our *sql.Tx. River's SQLite listener polls its
// notification table every 50 ms, which is what wakes the workers after an
// insert.
//
// PostgreSQL: River's database/sql driver shares our pool and our *sql.Tx;
// a small pgx pool holds one dedicated connection for LISTEN, so a committed
// insert wakes the workers (on every node) through NOTIFY instead of a poll.
// riverpgxv5 would need a pgx.Tx, which our database/sql transactions cannot
// give.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/rosterhq/roster/internal/db"
)

// Client is River bound to Roster's database.
type Client = river.Client[*sql.Tx]

// Options configures the job system.
type Options struct {
	DB *db.DB
	// DatabaseURL is the PostgreSQL DSN, used for the LISTEN connection.
	// Ignored on SQLite.
	DatabaseURL string
	// PollOnly makes PostgreSQL poll for new jobs instead of listening
	// (measurement and PgBouncer-in-transaction-mode setups).
	PollOnly bool
	// Workers holds every worker; register them before Open.
	Workers *river.Workers
	// Queues maps queue names to their worker counts.
	Queues map[string]int
	// JobTimeout bounds one job's run unless its worker says otherwise.
	// Default 1 min.
	JobTimeout time.Duration
	// RescueAfter is how long a job may stay running before another node
	// (or this one after a crash) takes it back. Default JobTimeout + 1 min.
	RescueAfter time.Duration
	// FetchCooldown is the shortest gap between two fetches of one queue
	// (default 2 ms); FetchPollInterval the longest (default 1 s, 50 ms when
	// PostgreSQL polls).
	FetchCooldown, FetchPollInterval time.Duration
	// Now is a controllable clock for tests; nil is the real clock. River
	// then uses it for scheduling, so advancing it makes retries due.
	Now func() time.Time
	// Logger receives River's warnings and errors.
	Logger *slog.Logger
}

// Runner owns the River client and what it needs.
type Runner struct {
	River   *Client
	db      *db.DB
	listen  *pgxpool.Pool
	started bool
}

// riverMigrationLockID serialises River's migrations between nodes, like
// Roster's own.
const riverMigrationLockID = 7_305_511_043

// Open migrates River's tables (after Roster's own migrations) and builds the
// client. It does not start working jobs; Start does.
func Open(ctx context.Context, o Options) (*Runner, error) {
	if err := Migrate(ctx, o.DB, o.Logger); err != nil {
		return nil, err
	}
	r := &Runner{db: o.DB}
	var driver riverdriver.Driver[*sql.Tx]
	switch o.DB.Dialect {
	case db.SQLite:
		driver = riversqlite.New(o.DB.Write())
	case db.Postgres:
		if o.PollOnly {
			driver = riverdatabasesql.New(o.DB.Write())
			break
		}
		cfg, err := pgxpool.ParseConfig(o.DatabaseURL)
		if err != nil {
			return nil, fmt.Errorf("jobs: parse database URL for the listener: %w", err)
		}
		cfg.MaxConns, cfg.MinConns = 2, 0
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("jobs: listener pool: %w", err)
		}
		r.listen = pool
		driver = riverdatabasesql.NewWithPgxListener(o.DB.Write(), pool)
	default:
		return nil, fmt.Errorf("jobs: unknown dialect %q", o.DB.Dialect)
	}
	cfg := &river.Config{
		Workers:              o.Workers,
		Queues:               map[string]river.QueueConfig{},
		JobTimeout:           o.JobTimeout,
		RescueStuckJobsAfter: o.RescueAfter,
		FetchCooldown:        o.FetchCooldown,
		FetchPollInterval:    o.FetchPollInterval,
		Logger:               quiet(o.Logger),
		// Finished jobs are history kept in our own tables (deliveries,
		// runs); River's rows can go soon.
		CompletedJobRetentionPeriod: time.Hour,
		CancelledJobRetentionPeriod: 24 * time.Hour,
		DiscardedJobRetentionPeriod: 7 * 24 * time.Hour,
	}
	if cfg.JobTimeout == 0 {
		cfg.JobTimeout = time.Minute
	}
	if cfg.RescueStuckJobsAfter == 0 {
		cfg.RescueStuckJobsAfter = cfg.JobTimeout + time.Minute
	}
	if cfg.FetchCooldown == 0 {
		cfg.FetchCooldown = 2 * time.Millisecond
	}
	if cfg.FetchPollInterval == 0 {
		cfg.FetchPollInterval = time.Second
		if o.DB.Dialect == db.Postgres && o.PollOnly {
			cfg.FetchPollInterval = 50 * time.Millisecond
		}
	}
	cfg.FetchPollInterval = max(cfg.FetchPollInterval, cfg.FetchCooldown)
	for name, n := range o.Queues {
		cfg.Queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	if o.Now != nil {
		cfg.Test.Time = clock{o.Now}
	}
	client, err := river.NewClient(driver, cfg)
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("jobs: new client: %w", err)
	}
	r.River = client
	return r, nil
}

// Migrate brings River's tables up to date. On SQLite it runs in one
// transaction. On PostgreSQL each River migration needs its own transaction
// (a new enum value cannot be used in the transaction that adds it), so the
// migrations run one by one while a session advisory lock keeps nodes that
// start together from migrating at once.
func Migrate(ctx context.Context, d *db.DB, log *slog.Logger) error {
	cfg := &rivermigrate.Config{Logger: quiet(log)}
	switch d.Dialect {
	case db.SQLite:
		err := d.InTx(ctx, func(tx *sql.Tx) error {
			m, err := rivermigrate.New(riversqlite.New(nil), cfg)
			if err == nil {
				_, err = m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate job tables: %w", err)
		}
		return nil
	case db.Postgres:
		conn, err := d.Write().Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate job tables: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, riverMigrationLockID); err != nil {
			return fmt.Errorf("migrate job tables: lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, riverMigrationLockID) //nolint:errcheck
		m, err := rivermigrate.New(riverdatabasesql.New(d.Write()), cfg)
		if err == nil {
			_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
		}
		if err != nil {
			return fmt.Errorf("migrate job tables: %w", err)
		}
		return nil
	}
	return fmt.Errorf("migrate job tables: unknown dialect %q", d.Dialect)
}

// Start begins working jobs. On SQLite, jobs left running by a process that
// died are made available again first: one server owns a SQLite file, so any
// job still marked running at start-up is an orphan. (On PostgreSQL other
// nodes may be running jobs; River's rescuer takes back those that overrun
// RescueAfter.)
func (r *Runner) Start(ctx context.Context) error {
	if r.db.Dialect == db.SQLite {
		if _, err := r.db.Write().ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`); err != nil {
			return fmt.Errorf("jobs: recover orphaned jobs: %w", err)
		}
	}
	if err := r.River.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	r.started = true
	return nil
}

// Stop lets running jobs finish until ctx ends, then cancels them (they are
// retried later). It is a no-op when the runner never started.
func (r *Runner) Stop(ctx context.Context) error {
	if !r.started {
		return nil
	}
	r.started = false
	err := r.River.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		hard, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err = r.River.StopAndCancel(hard)
	}
	return err
}

// Close releases the listener pool.
func (r *Runner) Close() {
	if r.listen != nil {
		r.listen.Close()
		r.listen = nil
	}
}

// clock adapts a func to River's time generator: with it River reads the
// time from the clock everywhere, database queries included.
type clock struct{ now func() time.Time }

func (c clock) Now() time.Time { return c.now() }

func (c clock) NowOrNil() *time.Time {
	t := c.now().UTC()
	return &t
}

// quiet passes on only River's warnings and errors: at info level it logs
// every retried job, which the deliveries' own records already show.
func quiet(log *slog.Logger) *slog.Logger {
	if log == nil {
		log = slog.Default()
	}
	return slog.New(minLevel{log.Handler(), slog.LevelWarn})
}

type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(a []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(a), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
