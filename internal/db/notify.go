package db

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Several nodes share one PostgreSQL database, and each keeps caches (such
// as verified API keys) that a change on another node must reach at once.
// Notify and Listen carry those changes with LISTEN/NOTIFY. SQLite has no
// such channel (and other processes, such as the CLI, write to the file too),
// so on SQLite Listen never reports itself live and callers must not cache
// what another process may change.

// Notify sends payload on channel to every listening node when tx commits
// (nothing is sent if it rolls back). A no-op on SQLite.
func (db *DB) Notify(ctx context.Context, tx *sql.Tx, channel, payload string) error {
	if db.Dialect != Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return fmt.Errorf("notify %s: %w", channel, err)
	}
	return nil
}

// Listen delivers channel's notifications to deliver until ctx ends,
// reconnecting after a lost connection. live(true) is called once the node is
// listening and live(false) when it stops (notifications may then have been
// missed, so a cache must be dropped). On SQLite it returns at once and
// live is never called with true.
func (db *DB) Listen(ctx context.Context, channel string, deliver func(payload string), live func(bool)) {
	if db.Dialect != Postgres {
		return
	}
	go func() {
		wait := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := db.listenOnce(ctx, channel, deliver, live)
			live(false)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				wait = min(wait*2, 5*time.Second)
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}()
}

func (db *DB) listenOnce(ctx context.Context, channel string, deliver func(string), live func(bool)) error {
	conn, err := pgx.Connect(ctx, db.dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{channel}.Sanitize()); err != nil {
		return err
	}
	live(true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		deliver(n.Payload)
	}
}
