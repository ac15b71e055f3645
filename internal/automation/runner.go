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

// StepJob is the durable unit of work: run a run from one step on.
type StepJob struct {
	RunID int64  `json:"runId"`
	Path  string `json:"path"`
}

// Queue enqueues step jobs inside the caller's transaction, so a step's job
// exists exactly when the change that caused it committed. A zero time means
// "as soon as possible". Several jobs go in one insert: a bulk change can
// start a run per item.
type Queue interface {
	EnqueueSteps(ctx context.Context, tx *sql.Tx, at time.Time, jobs ...StepJob) error
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
	// allowPrivate lets http.request steps target private addresses.
	allowPrivate bool
	// onEnd, when set, is told the status of each run that ends (metrics).
	// It is called inside the ending transaction, so a run whose
	// transaction rolls back and is retried may be counted twice.
	onEnd func(status string)
}

// OnRunEnd sets fn to be told the status of every run that ends: succeeded,
// failed, filtered, or skipped (conditions false). Call before Start.
func (r *Runner) OnRunEnd(fn func(status string)) { r.onEnd = fn }

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

// maxStepsPerJob bounds how many steps one job runs before it hands the run
// on to a new job, so a long workflow does not hold a worker for ever.
const maxStepsPerJob = 50

// Execute runs a run from job.Path on. Consecutive steps run in this one job,
// each in its own transaction that records its result: a run does not wait
// for the queue between steps. Where the run must wait — a delay, a retry's
// backoff — a new job is enqueued for that time in the same transaction. If
// the process dies mid-way, the job is run again and steps already recorded
// are skipped. An error return is a fault of the runner itself (the database
// unreachable); the queue retries the job.
func (r *Runner) Execute(ctx context.Context, job StepJob, _ int) error {
	path := job.Path
	for i := 0; path != ""; i++ {
		if i == maxStepsPerJob {
			return r.db.InTx(ctx, func(tx *sql.Tx) error {
				return r.queue.EnqueueSteps(ctx, tx, time.Time{}, StepJob{RunID: job.RunID, Path: path})
			})
		}
		next, err := r.runStep(ctx, job.RunID, path)
		if err != nil {
			return err
		}
		path = next
	}
	return nil
}

// prior is what an earlier attempt recorded for a step.
type prior struct {
	status   string
	attempts int
	output   any
}

func (r *Runner) priorRun(ctx context.Context, runID int64, path string) (prior, error) {
	var p prior
	var out []byte
	err := r.db.Read().QueryRowContext(ctx, `SELECT status, attempts, output FROM workflow_step_runs WHERE run_id = $1 AND path = $2`,
		runID, path).Scan(&p.status, &p.attempts, &out)
	if db.IsNoRows(err) {
		return prior{}, nil
	}
	if err != nil {
		return p, fmt.Errorf("read step %s of run %d: %w", path, runID, err)
	}
	_ = json.Unmarshal(out, &p.output)
	return p, nil
}

// runStep runs the step at path and returns the path to run next in this
// job ("" when the run finished or waits for a later job).
func (r *Runner) runStep(ctx context.Context, runID int64, path string) (string, error) {
	st, err := r.load(ctx, r.db.Read(), runID)
	if err != nil {
		if db.IsNoRows(errors.Unwrap(err)) {
			return "", nil // the workflow and its runs were deleted
		}
		return "", err
	}
	if st.status != RunRunning {
		return "", nil // finished meanwhile
	}
	step, err := stepAt(st.def, path)
	if err != nil {
		return "", r.finish(ctx, nil, st, RunFailed, err.Error())
	}
	pr, err := r.priorRun(ctx, runID, path)
	if err != nil {
		return "", err
	}
	if pr.status != "" && pr.status != StepRetrying {
		// Recorded by an earlier run of this job that stopped before the
		// queue marked it done: carry on from where it left off.
		return continuation(st.def, path, step, pr.output), nil
	}
	c := stepCall{r: r, st: st, path: path, step: step, attempt: pr.attempts + 1}
	return c.run(ctx)
}

// continuation is where a run goes after a settled step.
func continuation(d Definition, path string, step Step, output any) string {
	if step.Op == OpBranch {
		if m, ok := output.(map[string]any); ok {
			if b, ok := m["branch"].(float64); ok {
				if p := child(d, path, fmt.Sprintf("%s%d", selBranch, int(b))); p != "" {
					return p
				}
			} else if m["branch"] == "else" {
				if p := child(d, path, selElse); p != "" {
					return p
				}
			}
		}
	}
	nextPath, _ := next(d, path)
	return nextPath
}

// stepCall is one attempt at one step.
type stepCall struct {
	r       *Runner
	st      runState
	path    string
	step    Step
	attempt int
}

func (c stepCall) run(ctx context.Context) (string, error) {
	r, st, step := c.r, c.st, c.step
	data := st.data()
	if step.If != "" {
		ok, err := evalCondition(step.If, data)
		if err != nil {
			return c.fail(ctx, nil, fmt.Errorf("if: %w", err))
		}
		if !ok {
			return c.done(ctx, nil, nil, StepSkipped, "", time.Time{})
		}
	}
	switch step.Op {
	case OpFilter:
		cond, _ := step.Input["condition"].(string)
		ok, err := evalCondition(cond, data)
		if err != nil {
			return c.fail(ctx, nil, err)
		}
		out := map[string]any{"passed": ok}
		if !ok {
			return "", r.db.InTx(ctx, func(tx *sql.Tx) error {
				if err := r.record(ctx, tx, st, c.path, step, StepSucceeded, c.attempt, nil, out, ""); err != nil {
					return err
				}
				return r.finish(ctx, tx, st, RunFiltered, "stopped by filter "+step.ID)
			})
		}
		return c.done(ctx, nil, out, StepSucceeded, "", time.Time{})
	case OpBranch:
		for i, b := range step.Branches {
			ok, err := evalCondition(b.When, data)
			if err != nil {
				return c.fail(ctx, nil, fmt.Errorf("branches[%d].when: %w", i, err))
			}
			if ok {
				return c.done(ctx, nil, map[string]any{"branch": i}, StepSucceeded, child(st.def, c.path, fmt.Sprintf("%s%d", selBranch, i)), time.Time{})
			}
		}
		return c.done(ctx, nil, map[string]any{"branch": "else"}, StepSucceeded, child(st.def, c.path, selElse), time.Time{})
	}

	input, err := renderInput(step, data)
	if err != nil {
		return c.fail(ctx, nil, err)
	}
	switch step.Op {
	case OpDelay:
		until, err := delayUntil(input, r.now())
		if err != nil {
			return c.fail(ctx, input, err)
		}
		return c.done(ctx, input, map[string]any{"until": until.Unix()}, StepSucceeded, "", until)
	case OpEmail:
		out, err := r.sendEmail(ctx, input)
		if err != nil {
			return c.fail(ctx, input, err)
		}
		return c.done(ctx, input, out, StepSucceeded, "", time.Time{})
	case OpHTTP:
		out, err := r.request(ctx, input)
		if err != nil {
			return c.fail(ctx, input, err)
		}
		return c.done(ctx, input, out, StepSucceeded, "", time.Time{})
	}
	// A registry operation runs inside the transaction that records its
	// result: a repeated job never repeats a committed operation.
	var opErr error
	var nextPath string
	err = r.db.InTx(ctx, func(tx *sql.Tx) error {
		octx := context.WithValue(db.WithTx(ctx, tx), depthKey{}, st.depth+1)
		out, err := r.invoker.Invoke(octx, st.principal(), step.Op, input)
		if err != nil {
			opErr = err
			return err
		}
		nextPath, err = c.settle(ctx, tx, input, toJSONValue(out), StepSucceeded, "", "", time.Time{})
		return err
	})
	if opErr != nil {
		return c.fail(ctx, input, opErr)
	}
	return nextPath, err
}

// done records the step in its own transaction and moves on.
func (c stepCall) done(ctx context.Context, input map[string]any, out any, status, override string, at time.Time) (string, error) {
	var nextPath string
	err := c.r.db.InTx(ctx, func(tx *sql.Tx) error {
		var err error
		nextPath, err = c.settle(ctx, tx, input, out, status, "", override, at)
		return err
	})
	return nextPath, err
}

// settle records the step in tx and decides what follows: the next path to
// run now, a job for a later time (at), or the end of the run.
func (c stepCall) settle(ctx context.Context, tx *sql.Tx, input map[string]any, out any, status, errText, override string, at time.Time) (string, error) {
	r, st := c.r, c.st
	if err := r.record(ctx, tx, st, c.path, c.step, status, c.attempt, input, out, errText); err != nil {
		return "", err
	}
	nextPath, handledFailure := override, false
	if nextPath == "" {
		nextPath, handledFailure = next(st.def, c.path)
	}
	if nextPath == "" {
		if handledFailure {
			return "", r.finish(ctx, tx, st, RunFailed, "failed; error path completed")
		}
		return "", r.finish(ctx, tx, st, RunSucceeded, "")
	}
	if at.After(r.now()) {
		return "", r.queue.EnqueueSteps(ctx, tx, at, StepJob{RunID: st.id, Path: nextPath})
	}
	return nextPath, nil
}

// fail handles a step error: retry later while attempts remain (a new job at
// the backoff time), then apply the step's onError.
func (c stepCall) fail(ctx context.Context, input map[string]any, cause error) (string, error) {
	r, st, step := c.r, c.st, c.step
	policy := step.Retry.withDefaults()
	if c.attempt < policy.Attempts && !permanent(cause) {
		return "", r.db.InTx(ctx, func(tx *sql.Tx) error {
			if err := r.record(ctx, tx, st, c.path, step, StepRetrying, c.attempt, input, nil, cause.Error()); err != nil {
				return err
			}
			return r.queue.EnqueueSteps(ctx, tx, r.now().Add(policy.Backoff(c.attempt)), StepJob{RunID: st.id, Path: c.path})
		})
	}
	var nextPath string
	err := r.db.InTx(ctx, func(tx *sql.Tx) error {
		switch step.OnError {
		case OnErrorContinue:
			var err error
			nextPath, err = c.settle(ctx, tx, input, nil, StepFailed, cause.Error(), "", time.Time{})
			return err
		case OnErrorPath:
			nextPath = c.path + "/" + selError + "/0"
			return r.record(ctx, tx, st, c.path, step, StepFailed, c.attempt, input, nil, cause.Error())
		}
		if err := r.record(ctx, tx, st, c.path, step, StepFailed, c.attempt, input, nil, cause.Error()); err != nil {
			return err
		}
		return r.finish(ctx, tx, st, RunFailed, fmt.Sprintf("step %s failed: %v", step.ID, cause))
	})
	return nextPath, err
}

// permanent reports errors that a retry cannot fix: the operation refused
// its input, its target does not exist, or the target address is forbidden.
func permanent(err error) bool {
	switch fault.KindOf(err) {
	case fault.KindInvalid, fault.KindNotFound, fault.KindConflict, fault.KindForbidden:
		return true
	}
	return refused(err)
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
		res, err := tx.ExecContext(ctx, `UPDATE workflow_runs SET status = $1, error = $2, finished_at = $3 WHERE id = $4 AND status = $5`,
			status, msg, r.now().UnixMilli(), st.id, RunRunning)
		if err != nil {
			return fmt.Errorf("finish run %d: %w", st.id, err)
		}
		if n, _ := res.RowsAffected(); n == 1 && r.onEnd != nil {
			r.onEnd(status)
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
