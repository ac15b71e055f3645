package automation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/mapping"
)

// Run statuses.
const (
	RunRunning   = "running"
	RunSucceeded = "succeeded"
	RunFailed    = "failed"
	RunSkipped   = "skipped" // conditions were false
	RunFiltered  = "filtered"
)

// Step run statuses.
const (
	StepSucceeded = "succeeded"
	StepFailed    = "failed"
	StepRetrying  = "retrying"
	StepSkipped   = "skipped"
)

// StepJob is the durable unit of work: run one step of one run.
type StepJob struct {
	RunID int64  `json:"runId"`
	Path  string `json:"path"`
	Retry Retry  `json:"retry"`
}

// Queue enqueues step jobs inside the caller's transaction, so a step's job
// exists exactly when the change that caused it committed. A zero time means
// "as soon as possible".
type Queue interface {
	EnqueueStep(ctx context.Context, tx *sql.Tx, job StepJob, at time.Time) error
}

// Invoker runs registry operations by id (op.Registry).
type Invoker interface {
	Invoke(ctx context.Context, p access.Principal, id string, args map[string]any) (any, error)
}

// Mailer sends email (mail.Sender).
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Runner executes runs step by step.
type Runner struct {
	db      *db.DB
	now     func() time.Time
	invoker Invoker
	queue   Queue
	mailer  Mailer // nil when no SMTP server is configured
	http    HTTPDoer
}

// NewRunner returns a Runner. mailer may be nil.
func NewRunner(d *db.DB, now func() time.Time, invoker Invoker, queue Queue, mailer Mailer, client HTTPDoer) *Runner {
	return &Runner{db: d, now: now, invoker: invoker, queue: queue, mailer: mailer, http: client}
}

// Backoff is the wait before attempt+1 under r: exponential with ±20 %
// jitter, capped.
func (r Retry) Backoff(attempt int) time.Duration {
	p := r.withDefaults()
	secs := math.Min(p.BackoffSeconds*math.Pow(2, float64(max(attempt-1, 0))), p.MaxBackoffSeconds)
	secs *= 0.8 + 0.4*rand.Float64()
	return time.Duration(secs * float64(time.Second))
}

// runState is what a step needs to know about its run.
type runState struct {
	id, workflowID, workspaceID int64
	version, depth              int
	status                      string
	trigger                     map[string]any
	def                         Definition
	outputs                     map[string]any
}

func (r *Runner) load(ctx context.Context, q db.Querier, runID int64) (runState, error) {
	var st runState
	var trig []byte
	err := q.QueryRowContext(ctx, `SELECT id, workflow_id, workspace_id, version, depth, status, trigger_data FROM workflow_runs WHERE id = $1`, runID).
		Scan(&st.id, &st.workflowID, &st.workspaceID, &st.version, &st.depth, &st.status, &trig)
	if err != nil {
		return st, fmt.Errorf("load run %d: %w", runID, err)
	}
	if err := json.Unmarshal(trig, &st.trigger); err != nil {
		return st, fmt.Errorf("decode run %d trigger: %w", runID, err)
	}
	if st.def, err = definitionAt(ctx, q, st.workflowID, st.version); err != nil {
		return st, err
	}
	st.outputs = map[string]any{}
	rows, err := q.QueryContext(ctx, `SELECT step_id, output FROM workflow_step_runs WHERE run_id = $1 AND status = $2`, runID, StepSucceeded)
	if err != nil {
		return st, fmt.Errorf("load run %d outputs: %w", runID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var out []byte
		if err := rows.Scan(&id, &out); err != nil {
			return st, err
		}
		var v any
		if len(out) > 0 {
			_ = json.Unmarshal(out, &v)
		}
		st.outputs[id] = v
	}
	return st, rows.Err()
}

func (st runState) data() map[string]any {
	return map[string]any{"trigger": st.trigger, "steps": st.outputs,
		"run": map[string]any{"id": st.id, "workflowId": st.workflowID}}
}

// principal is who a run acts as: its workspace, with the scopes checked when
// the workflow was saved.
func (st runState) principal() access.Principal {
	return access.Principal{WorkspaceID: st.workspaceID, KeyID: fmt.Sprintf("workflow:%d", st.workflowID), Scopes: access.AllScopes}
}

type depthKey struct{}

// chainDepth is how many workflow runs deep the current change is; events
// recorded at depth maxDepth start no more runs, so workflows that trigger
// each other cannot loop for ever.
func chainDepth(ctx context.Context) int {
	d, _ := ctx.Value(depthKey{}).(int)
	return d
}

const maxDepth = 5

// ErrRetry wraps a step failure that should be retried by the queue.
var ErrRetry = errors.New("step failed; will retry")

// Execute runs one step. attempt counts from 1. It returns an error wrapping
// ErrRetry when the queue should try again later; any other error is a fault
// of the runner itself (also retried by the queue).
func (r *Runner) Execute(ctx context.Context, job StepJob, attempt int) error {
	st, err := r.load(ctx, r.db.Read(), job.RunID)
	if err != nil {
		if db.IsNoRows(errors.Unwrap(err)) {
			return nil // the workflow and its runs were deleted
		}
		return err
	}
	if st.status != RunRunning {
		return nil // finished or cancelled meanwhile
	}
	if done, err := r.stepSettled(ctx, job); err != nil || done {
		// A repeat of a job whose step already committed (the worker stopped
		// before River recorded the job complete): its result and the next
		// step are in place, so there is nothing to do.
		return err
	}
	step, err := stepAt(st.def, job.Path)
	if err != nil {
		return r.finish(ctx, nil, st, RunFailed, err.Error())
	}
	data := st.data()
	if step.If != "" {
		ok, err := evalCondition(step.If, data)
		if err != nil {
			return r.fail(ctx, st, job, step, attempt, nil, fmt.Errorf("if: %w", err))
		}
		if !ok {
			return r.succeed(ctx, st, job, step, attempt, nil, nil, StepSkipped, "")
		}
	}
	switch step.Op {
	case OpFilter:
		cond, _ := step.Input["condition"].(string)
		ok, err := evalCondition(cond, data)
		if err != nil {
			return r.fail(ctx, st, job, step, attempt, nil, err)
		}
		out := map[string]any{"passed": ok}
		if !ok {
			return r.db.InTx(ctx, func(tx *sql.Tx) error {
				if err := r.record(ctx, tx, st, job.Path, step, StepSucceeded, attempt, nil, out, ""); err != nil {
					return err
				}
				return r.finish(ctx, tx, st, RunFiltered, "stopped by filter "+step.ID)
			})
		}
		return r.succeed(ctx, st, job, step, attempt, nil, out, StepSucceeded, "")
	case OpBranch:
		for i, b := range step.Branches {
			ok, err := evalCondition(b.When, data)
			if err != nil {
				return r.fail(ctx, st, job, step, attempt, nil, fmt.Errorf("branches[%d].when: %w", i, err))
			}
			if ok {
				return r.succeed(ctx, st, job, step, attempt, nil, map[string]any{"branch": i}, StepSucceeded, child(st.def, job.Path, fmt.Sprintf("%s%d", selBranch, i)))
			}
		}
		return r.succeed(ctx, st, job, step, attempt, nil, map[string]any{"branch": "else"}, StepSucceeded, child(st.def, job.Path, selElse))
	}

	input, err := renderInput(step, data)
	if err != nil {
		return r.fail(ctx, st, job, step, attempt, nil, err)
	}
	switch step.Op {
	case OpDelay:
		until, err := delayUntil(input, r.now())
		if err != nil {
			return r.fail(ctx, st, job, step, attempt, input, err)
		}
		return r.advance(ctx, st, job, step, attempt, input, map[string]any{"until": until.Unix()}, until)
	case OpEmail:
		out, err := r.sendEmail(ctx, input)
		if err != nil {
			return r.fail(ctx, st, job, step, attempt, input, err)
		}
		return r.succeed(ctx, st, job, step, attempt, input, out, StepSucceeded, "")
	case OpHTTP:
		out, err := r.request(ctx, input)
		if err != nil {
			return r.fail(ctx, st, job, step, attempt, input, err)
		}
		return r.succeed(ctx, st, job, step, attempt, input, out, StepSucceeded, "")
	}
	// A registry operation runs inside the transaction that records its
	// result and enqueues the next step: a retry never repeats a committed
	// operation.
	var opErr error
	err = r.db.InTx(ctx, func(tx *sql.Tx) error {
		octx := context.WithValue(db.WithTx(ctx, tx), depthKey{}, st.depth+1)
		out, err := r.invoker.Invoke(octx, st.principal(), step.Op, input)
		if err != nil {
			opErr = err
			return err
		}
		return r.complete(ctx, tx, st, job, step, attempt, input, toJSONValue(out), StepSucceeded, "", time.Time{})
	})
	if opErr != nil {
		return r.fail(ctx, st, job, step, attempt, input, opErr)
	}
	return err
}

func renderInput(step Step, data map[string]any) (map[string]any, error) {
	t, err := mapping.Compile(map[string]any(step.Input))
	if err != nil {
		return nil, err
	}
	v, err := t.Render(data)
	if err != nil {
		return nil, err
	}
	m, _ := v.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// toJSONValue turns an operation's typed output into plain JSON values, the
// way later steps' expressions see it.
func toJSONValue(v any) any {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	_ = json.Unmarshal(raw, &out)
	return out
}

// succeed records a finished step and moves the run on; override, when not
// empty, is where to go next instead of the following step.
func (r *Runner) succeed(ctx context.Context, st runState, job StepJob, step Step, attempt int, input map[string]any, out any, status, override string) error {
	return r.db.InTx(ctx, func(tx *sql.Tx) error {
		return r.completeTo(ctx, tx, st, job, step, attempt, input, out, status, "", override, time.Time{})
	})
}

func (r *Runner) advance(ctx context.Context, st runState, job StepJob, step Step, attempt int, input map[string]any, out any, at time.Time) error {
	return r.db.InTx(ctx, func(tx *sql.Tx) error {
		return r.complete(ctx, tx, st, job, step, attempt, input, out, StepSucceeded, "", at)
	})
}

func (r *Runner) complete(ctx context.Context, tx *sql.Tx, st runState, job StepJob, step Step, attempt int, input map[string]any, out any, status, errText string, at time.Time) error {
	return r.completeTo(ctx, tx, st, job, step, attempt, input, out, status, errText, "", at)
}

// completeTo records the step and enqueues what follows, or finishes the run.
func (r *Runner) completeTo(ctx context.Context, tx *sql.Tx, st runState, job StepJob, step Step, attempt int, input map[string]any, out any, status, errText, override string, at time.Time) error {
	if err := r.record(ctx, tx, st, job.Path, step, status, attempt, input, out, errText); err != nil {
		return err
	}
	nextPath, handledFailure := override, false
	if nextPath == "" {
		nextPath, handledFailure = next(st.def, job.Path)
	}
	if nextPath == "" {
		if handledFailure {
			return r.finish(ctx, tx, st, RunFailed, "failed; error path completed")
		}
		return r.finish(ctx, tx, st, RunSucceeded, "")
	}
	return r.enqueue(ctx, tx, st, nextPath, at)
}

func (r *Runner) enqueue(ctx context.Context, tx *sql.Tx, st runState, path string, at time.Time) error {
	step, err := stepAt(st.def, path)
	if err != nil {
		return err
	}
	return r.queue.EnqueueStep(ctx, tx, StepJob{RunID: st.id, Path: path, Retry: step.Retry.withDefaults()}, at)
}

// fail handles a step error: retry while attempts remain, then apply the
// step's onError.
func (r *Runner) fail(ctx context.Context, st runState, job StepJob, step Step, attempt int, input map[string]any, cause error) error {
	policy := step.Retry.withDefaults()
	if attempt < policy.Attempts && !permanent(cause) {
		err := r.db.InTx(ctx, func(tx *sql.Tx) error {
			return r.record(ctx, tx, st, job.Path, step, StepRetrying, attempt, input, nil, cause.Error())
		})
		if err != nil {
			return err
		}
		return fmt.Errorf("%w: step %s attempt %d: %v", ErrRetry, step.ID, attempt, cause)
	}
	return r.db.InTx(ctx, func(tx *sql.Tx) error {
		switch step.OnError {
		case OnErrorContinue:
			return r.complete(ctx, tx, st, job, step, attempt, input, nil, StepFailed, cause.Error(), time.Time{})
		case OnErrorPath:
			if err := r.record(ctx, tx, st, job.Path, step, StepFailed, attempt, input, nil, cause.Error()); err != nil {
				return err
			}
			return r.enqueue(ctx, tx, st, job.Path+"/"+selError+"/0", time.Time{})
		}
		if err := r.record(ctx, tx, st, job.Path, step, StepFailed, attempt, input, nil, cause.Error()); err != nil {
			return err
		}
		return r.finish(ctx, tx, st, RunFailed, fmt.Sprintf("step %s failed: %v", step.ID, cause))
	})
}

func (r *Runner) stepSettled(ctx context.Context, job StepJob) (bool, error) {
	var status string
	err := r.db.Read().QueryRowContext(ctx, `SELECT status FROM workflow_step_runs WHERE run_id = $1 AND path = $2`, job.RunID, job.Path).Scan(&status)
	if db.IsNoRows(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read step %s of run %d: %w", job.Path, job.RunID, err)
	}
	return status != StepRetrying, nil
}

// permanent reports errors that a retry cannot fix: the operation refused
// its input or its target does not exist.
func permanent(err error) bool {
	switch fault.KindOf(err) {
	case fault.KindInvalid, fault.KindNotFound, fault.KindConflict, fault.KindForbidden:
		return true
	}
	return false
}

// record upserts the step run row.
func (r *Runner) record(ctx context.Context, tx *sql.Tx, st runState, path string, step Step, status string, attempt int, input map[string]any, out any, errText string) error {
	in, _ := json.Marshal(input)
	if input == nil {
		in = []byte("null")
	}
	o, _ := json.Marshal(out)
	now := r.now().UnixMilli()
	var finished any
	if status != StepRetrying {
		finished = now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO workflow_step_runs (run_id, path, step_id, op, status, attempts, input, output, error, started_at, finished_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (run_id, path) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, input = excluded.input,
			output = excluded.output, error = excluded.error, finished_at = excluded.finished_at`,
		st.id, path, step.ID, step.Op, status, attempt, string(in), string(o), errText, now, finished)
	if err != nil {
		return fmt.Errorf("record step %s of run %d: %w", step.ID, st.id, err)
	}
	return nil
}

// finish ends a run. tx may be nil.
func (r *Runner) finish(ctx context.Context, tx *sql.Tx, st runState, status, msg string) error {
	do := func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE workflow_runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status = $5`,
			status, msg, r.now().UnixMilli(), st.id, RunRunning)
		if err != nil {
			return fmt.Errorf("finish run %d: %w", st.id, err)
		}
		return nil
	}
	if tx != nil {
		return do(tx)
	}
	return r.db.InTx(ctx, do)
}

func delayUntil(input map[string]any, now time.Time) (time.Time, error) {
	if secs, ok := input["seconds"]; ok {
		f, ok := secs.(float64)
		if !ok || f < 0 || f > 90*24*3600 {
			return time.Time{}, fmt.Errorf("seconds must be a number from 0 to 7,776,000 (90 days)")
		}
		return now.Add(time.Duration(f * float64(time.Second))), nil
	}
	t, err := parseWhen(input["until"])
	if err != nil {
		return time.Time{}, fmt.Errorf("until: %w", err)
	}
	return t, nil
}

func parseWhen(v any) (time.Time, error) {
	switch x := v.(type) {
	case float64:
		return time.Unix(int64(x), 0), nil
	case int64:
		return time.Unix(x, 0), nil
	case string:
		return time.Parse(time.RFC3339, x)
	}
	return time.Time{}, fmt.Errorf("must be Unix seconds or an RFC 3339 time")
}
