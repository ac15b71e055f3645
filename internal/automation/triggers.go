package automation

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// SetRunner connects the service to the runner that executes steps.
func (s *Service) SetRunner(r *Runner) { s.runner, r.allowPrivate = r, s.allowPrivate }

// OnEvent starts runs of the active workflows triggered by a batch of
// events, inside the transaction that records them: a run exists exactly
// when its change does. The batch costs one workflow look-up and a few
// multi-row inserts, however many events it holds. Register it with
// events.Log.OnRecord.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, batch []events.Event) error {
	depth := chainDepth(ctx)
	if depth >= maxDepth {
		return nil
	}
	byType, err := triggeredWorkflows(ctx, tx, batch)
	if err != nil {
		return err
	}
	var starts []runStart
	for _, e := range batch {
		for _, w := range byType[e.Type] {
			trigger := eventTrigger(e.ID, e.Type, e.OccurredAt, e.Data)
			if w.def.Trigger.Filter != "" {
				ok, err := evalCondition(w.def.Trigger.Filter, map[string]any{"trigger": trigger})
				if err != nil || !ok {
					continue // a filter that cannot be evaluated on this event does not match it
				}
			}
			starts = append(starts, runStart{workspaceID: e.WorkspaceID, workflowID: w.id, version: w.version, def: w.def,
				trigger: trigger, depth: depth})
		}
	}
	if len(starts) == 0 {
		return nil
	}
	_, err = s.runner.startRuns(ctx, tx, starts)
	return err
}

// triggeredWorkflow is an active workflow started by an event type, with its
// published definition.
type triggeredWorkflow struct {
	id      int64
	version int
	def     Definition
}

// triggeredWorkflows returns the active workflows of the batch's workspace
// triggered by the batch's event types, by type, in id order.
func triggeredWorkflows(ctx context.Context, tx *sql.Tx, batch []events.Event) (map[string][]triggeredWorkflow, error) {
	args := []any{batch[0].WorkspaceID, TriggerEvent, StatusActive}
	seen := map[string]bool{}
	for _, e := range batch {
		if !seen[e.Type] {
			seen[e.Type] = true
			args = append(args, e.Type)
		}
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, published_version, trigger_event FROM workflows
		WHERE workspace_id = $1 AND trigger_type = $2 AND status = $3 AND trigger_event IN (`+db.Placeholders(4, len(args)-3)+`)
		ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find workflows for %s: %w", batch[0].Type, err)
	}
	type found struct {
		w   triggeredWorkflow
		typ string
	}
	var list []found
	for rows.Next() {
		var f found
		if err := rows.Scan(&f.w.id, &f.w.version, &f.typ); err != nil {
			rows.Close()
			return nil, fmt.Errorf("find workflows for %s: %w", batch[0].Type, err)
		}
		list = append(list, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("find workflows for %s: %w", batch[0].Type, err)
	}
	out := make(map[string][]triggeredWorkflow, len(list))
	for _, f := range list {
		if f.w.def, err = definitionAt(ctx, tx, f.w.id, f.w.version); err != nil {
			return nil, err
		}
		out[f.typ] = append(out[f.typ], f.w)
	}
	return out, nil
}

// RunNow starts a run of the latest version by hand, with data as the
// trigger. It works for drafts too, which is how a workflow is tried for real.
func (s *Service) RunNow(ctx context.Context, workspaceID, id int64, data map[string]any) (Run, error) {
	var run Run
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getWorkflow(ctx, s.db, tx, workspaceID, id, false)
		if err != nil {
			return err
		}
		if data == nil {
			data = map[string]any{}
		}
		run, err = s.runner.startRun(ctx, tx, workspaceID, id, r.version, r.definition, data, chainDepth(ctx))
		return err
	})
	return run, err
}

// InboundWebhook starts a run of the active workflow owning token, with the
// request as its trigger: {body, headers, query, receivedAt}. Returns
// not_found for an unknown token and conflict for a workflow that is not
// active.
func (s *Service) InboundWebhook(ctx context.Context, token string, trigger map[string]any) (Run, error) {
	var run Run
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		var id, workspaceID int64
		var version sql.NullInt64
		var status string
		err := tx.QueryRowContext(ctx, `SELECT id, workspace_id, published_version, status FROM workflows WHERE webhook_token_hash = $1`,
			hashToken(token)).Scan(&id, &workspaceID, &version, &status)
		if db.IsNoRows(err) {
			return fault.NotFound("webhook")
		}
		if err != nil {
			return fmt.Errorf("find webhook: %w", err)
		}
		if status != StatusActive {
			return fault.Conflict("workflow_inactive", "", "the workflow behind this webhook is %s; publish it to accept calls", status)
		}
		def, err := definitionAt(ctx, tx, id, int(version.Int64))
		if err != nil {
			return err
		}
		if def.Trigger.Type != TriggerWebhook {
			return fault.Conflict("workflow_inactive", "", "the published version of this workflow is not triggered by a webhook")
		}
		run, err = s.runner.startRun(ctx, tx, workspaceID, id, int(version.Int64), def, trigger, 0)
		return err
	})
	return run, err
}

// RunSchedules starts the runs of schedule-triggered workflows that are due,
// and computes their next time. Several nodes may call it at once: each run
// is claimed by a conditional update, so it starts once.
func (s *Service) RunSchedules(ctx context.Context) error {
	now := s.now()
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, workspace_id, published_version, next_fire_at FROM workflows
		WHERE trigger_type = $1 AND status = $2 AND (next_fire_at IS NULL OR next_fire_at <= $3)`,
		TriggerSchedule, StatusActive, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("find due schedules: %w", err)
	}
	type due struct {
		id, workspaceID int64
		version         int
		fireAt          sql.NullInt64
	}
	var list []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.id, &d.workspaceID, &d.version, &d.fireAt); err != nil {
			rows.Close()
			return err
		}
		list = append(list, d)
	}
	rows.Close()
	for _, d := range list {
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			def, err := definitionAt(ctx, tx, d.id, d.version)
			if err != nil {
				return err
			}
			loc := time.UTC
			if def.Trigger.Timezone != "" {
				if l, err := time.LoadLocation(def.Trigger.Timezone); err == nil {
					loc = l
				}
			}
			sched, err := cronParser.Parse(def.Trigger.Cron)
			if err != nil {
				return err
			}
			nextFire := sched.Next(now.In(loc))
			res, err := tx.ExecContext(ctx, `UPDATE workflows SET next_fire_at = $1 WHERE id = $2 AND coalesce(next_fire_at, -1) = $3`,
				nextFire.UnixMilli(), d.id, nullOr(d.fireAt, -1))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || !d.fireAt.Valid {
				return nil // another node claimed it, or the schedule was just armed
			}
			_, err = s.runner.startRun(ctx, tx, d.workspaceID, d.id, d.version, def,
				map[string]any{"scheduledAt": time.UnixMilli(d.fireAt.Int64).UTC().Format(time.RFC3339)}, 0)
			return err
		})
		if err != nil {
			return fmt.Errorf("schedule of workflow %d: %w", d.id, err)
		}
	}
	return nil
}

func nullOr(n sql.NullInt64, def int64) int64 {
	if n.Valid {
		return n.Int64
	}
	return def
}

// ScheduleLoop calls RunSchedules every interval until ctx ends.
func (s *Service) ScheduleLoop(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := s.RunSchedules(ctx); err != nil && ctx.Err() == nil {
			log.Warn("workflow schedules", "err", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
