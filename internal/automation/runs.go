package automation

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Run is one execution of a workflow.
type Run struct {
	ID         int64          `json:"id"`
	WorkflowID int64          `json:"workflowId"`
	Version    int            `json:"version"`
	Status     string         `json:"status" enum:"running,succeeded,failed,skipped,filtered"`
	Error      string         `json:"error,omitempty"`
	Trigger    map[string]any `json:"trigger,omitempty"`
	CreatedAt  int64          `json:"createdAt"`
	FinishedAt int64          `json:"finishedAt" doc:"0 while running"`
	Steps      []StepRun      `json:"steps,omitempty"`
	Redacted   string         `json:"redacted,omitempty" doc:"Set when the trigger's data is hidden because this key lacks its read scope"`
}

// StepRun is one step of a run: its resolved input, output or error,
// attempts and timing.
type StepRun struct {
	StepID     string `json:"stepId"`
	Path       string `json:"path"`
	Op         string `json:"op"`
	Status     string `json:"status" enum:"succeeded,failed,retrying,skipped"`
	Attempts   int    `json:"attempts"`
	Input      any    `json:"input"`
	Output     any    `json:"output"`
	Error      string `json:"error,omitempty"`
	StartedAt  int64  `json:"startedAt" doc:"Unix milliseconds"`
	FinishedAt int64  `json:"finishedAt" doc:"Unix milliseconds; 0 while retrying"`
	DurationMs int64  `json:"durationMs"`
	Redacted   string `json:"redacted,omitempty" doc:"Set when input and output are hidden because this key lacks the read scope of the step's data"`
}

// triggerData is what a run's expressions see as `trigger`.
func eventTrigger(id, typ string, at time.Time, data json.RawMessage) map[string]any {
	var d any
	_ = json.Unmarshal(data, &d)
	return map[string]any{"id": id, "type": typ, "timestamp": at.UTC().Format(time.RFC3339), "data": d}
}

// startRun inserts a run of version def of workflow wfID and enqueues its
// first step, all in tx. Conditions decide whether it runs at all. It is
// startRuns of one run.
func (r *Runner) startRun(ctx context.Context, tx *sql.Tx, workspaceID, wfID int64, version int, def Definition, trigger map[string]any, depth int) (Run, error) {
	runs, err := r.startRuns(ctx, tx, []runStart{{workspaceID: workspaceID, workflowID: wfID, version: version, def: def,
		trigger: trigger, depth: depth}})
	if err != nil {
		return Run{}, err
	}
	return runs[0], nil
}

// runStart is a run to start: a version of a workflow and its trigger.
type runStart struct {
	workspaceID int64
	workflowID  int64
	version     int
	def         Definition
	trigger     map[string]any
	depth       int
}

// newRun is a run row about to be inserted.
type newRun struct {
	start   runStart
	run     Run
	trigger string // trigger data as JSON
}

// startRuns inserts runs with a few multi-row statements and enqueues the
// first step of each that is running with one queue call, all in tx. It
// returns the runs in the order given.
func (r *Runner) startRuns(ctx context.Context, tx *sql.Tx, list []runStart) ([]Run, error) {
	now := r.now()
	rows := make([]newRun, len(list))
	for i, st := range list {
		nr, err := st.prepare(now)
		if err != nil {
			return nil, err
		}
		rows[i] = nr
	}
	err := db.InChunks(rows, 9, db.ParamBudgetFor(r.db.Dialect), func(chunk []newRun) error {
		return insertRuns(ctx, tx, chunk, now)
	})
	if err != nil {
		return nil, fmt.Errorf("start %d run(s), the first of workflow %d: %w", len(list), list[0].workflowID, err)
	}
	runs := make([]Run, len(rows))
	var first []StepJob
	for i, nr := range rows {
		runs[i] = nr.run
		if nr.run.Status == RunRunning {
			first = append(first, StepJob{RunID: nr.run.ID, Path: "0"})
		} else if r.onEnd != nil {
			r.onEnd(nr.run.Status) // ended at its start: conditions false or failing
		}
	}
	if len(first) > 0 {
		if err := r.queue.EnqueueSteps(ctx, tx, time.Time{}, first...); err != nil {
			return nil, err
		}
	}
	return runs, nil
}

// prepare evaluates the run's conditions and encodes its trigger.
func (st runStart) prepare(now time.Time) (newRun, error) {
	status, msg := RunRunning, ""
	for i, cond := range st.def.Conditions {
		ok, err := evalCondition(cond, map[string]any{"trigger": st.trigger})
		if err != nil {
			status, msg = RunFailed, fmt.Sprintf("conditions[%d]: %v", i, err)
			break
		}
		if !ok {
			status, msg = RunSkipped, fmt.Sprintf("conditions[%d] is false", i)
			break
		}
	}
	raw, err := json.Marshal(st.trigger)
	if err != nil {
		return newRun{}, fault.Invalid("trigger", "cannot be encoded as JSON: %v", err)
	}
	run := Run{WorkflowID: st.workflowID, Version: st.version, Status: status, Error: msg, Trigger: st.trigger, CreatedAt: now.Unix()}
	if status != RunRunning {
		run.FinishedAt = now.Unix()
	}
	return newRun{start: st, run: run, trigger: string(raw)}, nil
}

// insertRuns inserts runs in one statement and sets their ids. Either
// engine hands out a statement's ids in VALUES order but need not return
// them in it, so the ids are sorted before they are matched to the rows.
func insertRuns(ctx context.Context, tx *sql.Tx, chunk []newRun, now time.Time) error {
	var q strings.Builder
	q.WriteString(`INSERT INTO workflow_runs (workflow_id, workspace_id, version, status, trigger_data, depth, error, created_at, finished_at) VALUES `)
	args := make([]any, 0, 9*len(chunk))
	for i, nr := range chunk {
		if i > 0 {
			q.WriteString(", ")
		}
		var finished any
		if nr.run.Status != RunRunning {
			finished = now.UnixMilli()
		}
		st := nr.start
		args = append(args, st.workflowID, st.workspaceID, st.version, nr.run.Status, nr.trigger, st.depth, nr.run.Error, now.UnixMilli(), finished)
		q.WriteString("(" + db.Placeholders(len(args)-8, 9) + ")")
	}
	rows, err := tx.QueryContext(ctx, q.String()+` RETURNING id`, args...)
	if err != nil {
		return err
	}
	ids, err := db.ScanInt64s(rows)
	if err != nil {
		return err
	}
	if len(ids) != len(chunk) {
		return fmt.Errorf("inserted %d runs, got %d ids", len(chunk), len(ids))
	}
	slices.Sort(ids)
	for i := range chunk {
		chunk[i].run.ID = ids[i]
	}
	return nil
}

// GetRun returns a run with its steps in the order they started.
func (s *Service) GetRun(ctx context.Context, workspaceID, runID int64) (Run, error) {
	q := s.db.Read()
	var run Run
	var trig []byte
	var created int64
	var finished sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, workflow_id, version, status, error, trigger_data, created_at, finished_at
		FROM workflow_runs WHERE workspace_id = $1 AND id = $2`, workspaceID, runID).
		Scan(&run.ID, &run.WorkflowID, &run.Version, &run.Status, &run.Error, &trig, &created, &finished)
	if db.IsNoRows(err) {
		return run, fault.NotFound(fmt.Sprintf("run %d", runID))
	}
	if err != nil {
		return run, fmt.Errorf("get run %d: %w", runID, err)
	}
	_ = json.Unmarshal(trig, &run.Trigger)
	run.CreatedAt = time.UnixMilli(created).Unix()
	if finished.Valid {
		run.FinishedAt = time.UnixMilli(finished.Int64).Unix()
	}
	rows, err := q.QueryContext(ctx, `SELECT step_id, path, op, status, attempts, input, output, error, started_at, finished_at
		FROM workflow_step_runs WHERE run_id = $1 ORDER BY id`, runID)
	if err != nil {
		return run, fmt.Errorf("get run %d steps: %w", runID, err)
	}
	defer rows.Close()
	run.Steps = []StepRun{}
	for rows.Next() {
		var sr StepRun
		var in, out []byte
		var fin sql.NullInt64
		if err := rows.Scan(&sr.StepID, &sr.Path, &sr.Op, &sr.Status, &sr.Attempts, &in, &out, &sr.Error, &sr.StartedAt, &fin); err != nil {
			return run, err
		}
		_ = json.Unmarshal(in, &sr.Input)
		_ = json.Unmarshal(out, &sr.Output)
		if fin.Valid {
			sr.FinishedAt = fin.Int64
			sr.DurationMs = fin.Int64 - sr.StartedAt
		}
		run.Steps = append(run.Steps, sr)
	}
	return run, rows.Err()
}

// RunPage is a page of runs.
type RunPage struct {
	Runs       []Run `json:"runs"`
	TotalCount int   `json:"totalCount"`
}

// ListRuns lists a workflow's runs, newest first, without step details.
func (s *Service) ListRuns(ctx context.Context, workspaceID, workflowID int64, status string, offset, limit int) (RunPage, error) {
	if _, err := getWorkflow(ctx, s.db, s.db.Read(), workspaceID, workflowID, false); err != nil {
		return RunPage{}, err
	}
	if limit <= 0 {
		limit = 20
	}
	cond, args := `workflow_id = $1`, []any{workflowID}
	if status != "" {
		cond, args = cond+` AND status = $2`, append(args, status)
	}
	page := RunPage{Runs: []Run{}}
	if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM workflow_runs WHERE `+cond, args...).Scan(&page.TotalCount); err != nil {
		return page, fmt.Errorf("count runs: %w", err)
	}
	args = append(args, limit, offset)
	rows, err := s.db.Read().QueryContext(ctx, `SELECT id, workflow_id, version, status, error, created_at, finished_at FROM workflow_runs WHERE `+cond+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return page, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var run Run
		var created int64
		var finished sql.NullInt64
		if err := rows.Scan(&run.ID, &run.WorkflowID, &run.Version, &run.Status, &run.Error, &created, &finished); err != nil {
			return page, err
		}
		run.CreatedAt = time.UnixMilli(created).Unix()
		if finished.Valid {
			run.FinishedAt = time.UnixMilli(finished.Int64).Unix()
		}
		page.Runs = append(page.Runs, run)
	}
	return page, rows.Err()
}
