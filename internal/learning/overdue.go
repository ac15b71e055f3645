package learning

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/db"
)

// sweepBatch bounds one sweep transaction, so a deadline shared by a large
// group does not hold the writer (and one transaction's events) unbounded.
const sweepBatch = 500

// SweepOverdue marks every enrollment whose deadline has passed and that is
// not completed as overdue, recording enrollment.overdue for each in the same
// transaction as the change. It is idempotent and set-based: each batch is one
// UPDATE … RETURNING over the due-date index, and an enrollment already
// overdue is never touched again. Safe to run on several nodes at once. It
// returns how many enrollments it marked.
func (s *Service) SweepOverdue(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.sweepOnce(ctx)
		total += n
		if err != nil {
			return total, err
		}
		if n < sweepBatch {
			return total, nil
		}
	}
}

func (s *Service) sweepOnce(ctx context.Context) (int, error) {
	now := s.timestamp().UnixMilli()
	n := 0
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		pick := `SELECT course_id, user_id FROM enrollments WHERE status IN ('assigned', 'in_progress') AND deadline_at <= $2
			ORDER BY deadline_at LIMIT $3`
		if s.db.Dialect == db.Postgres {
			pick += ` FOR UPDATE SKIP LOCKED`
		}
		rows, err := queryEnrollments(ctx, tx, `UPDATE enrollments SET status = 'overdue', updated_at = $1
			WHERE (course_id, user_id) IN (`+pick+`) AND status IN ('assigned', 'in_progress')
			RETURNING `+enrollmentColumns, now, now, sweepBatch)
		if err != nil {
			return fmt.Errorf("mark overdue: %w", err)
		}
		n = len(rows)
		views, err := s.show(ctx, tx, rows, true, true)
		if err != nil {
			return err
		}
		for i, v := range views {
			if _, err := s.events.Record(ctx, tx, rows[i].workspaceID, EventEnrollmentOverdue, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sweep overdue enrollments: %w", err)
	}
	return n, nil
}

// RunOverdueSweeps sweeps every interval until ctx ends. A missed run costs
// nothing: the next one catches up.
func (s *Service) RunOverdueSweeps(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.SweepOverdue(ctx); err != nil && ctx.Err() == nil {
			log.Warn("sweep overdue enrollments", "err", err.Error())
		} else if n > 0 {
			log.Info("marked enrollments overdue", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
