package db

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// analyzeLockID keeps two nodes from analysing the same tables at once.
const analyzeLockID = 7_305_511_044

// AnalyzeStale refreshes PostgreSQL's planner statistics of every table in
// Roster's schema that changed by more than autovacuum's default threshold
// (50 rows + 10 %) since its last analysis, and returns their names.
//
// Autovacuum does this too, but it may be off (it is on some managed and CI
// servers) or a minute behind a bulk import. Until then a table that has
// never been analysed looks empty to the planner, and the first page of a
// 100,000-user list becomes a sort of the whole workspace: 1 ms at 1,000
// users, far more beyond. On SQLite it does nothing; SQLite's planner
// prefers the covering indexes without statistics.
func (db *DB) AnalyzeStale(ctx context.Context) ([]string, error) {
	if db.Dialect != Postgres {
		return nil, nil
	}
	var analysed []string
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		var mine bool
		if err := tx.QueryRowContext(ctx, `SELECT pg_try_advisory_xact_lock($1)`, analyzeLockID).Scan(&mine); err != nil {
			return fmt.Errorf("take the analyze lock: %w", err)
		}
		if !mine {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
			WHERE s.schemaname = current_schema()
			  AND s.n_mod_since_analyze > 50 + 0.1 * greatest(c.reltuples, 0)
			ORDER BY s.relname`)
		if err != nil {
			return fmt.Errorf("find stale tables: %w", err)
		}
		var names []string
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				rows.Close()
				return fmt.Errorf("find stale tables: %w", err)
			}
			names = append(names, name)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("find stale tables: %w", err)
		}
		for _, name := range names {
			if _, err := tx.ExecContext(ctx, `ANALYZE `+quoteIdent(name)); err != nil {
				return fmt.Errorf("analyze %s: %w", name, err)
			}
		}
		analysed = names
		return nil
	})
	return analysed, err
}

// RunAnalyzeLoop calls AnalyzeStale every interval until ctx ends.
func (db *DB) RunAnalyzeLoop(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if db.Dialect != Postgres {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if names, err := db.AnalyzeStale(ctx); err != nil && ctx.Err() == nil {
			log.Warn("analyze changed tables", "err", err.Error())
		} else if len(names) > 0 {
			log.Debug("analysed changed tables", "tables", names)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
