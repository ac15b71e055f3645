package automation

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
)

// QueueName is the River queue workflow steps run on.
const QueueName = "workflows"

// extraAttempts are River attempts beyond a step's own policy, spent only on
// faults of the runner itself (the database unreachable): the step's policy
// is applied by the runner, which ends the step once it is exhausted.
const extraAttempts = 5

type stepArgs struct {
	StepJob
}

func (stepArgs) Kind() string { return "workflow_step" }

func (a stepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: a.Retry.withDefaults().Attempts + extraAttempts}
}

// StepWorker runs workflow steps from River.
type StepWorker struct {
	river.WorkerDefaults[stepArgs]
	Runner *Runner
}

// Work runs the step; River retries it when it returns an error.
func (w *StepWorker) Work(ctx context.Context, job *river.Job[stepArgs]) error {
	return w.Runner.Execute(ctx, job.Args.StepJob, job.Attempt)
}

// NextRetry follows the step's own backoff policy.
func (w *StepWorker) NextRetry(job *river.Job[stepArgs]) time.Time {
	return time.Now().Add(job.Args.Retry.Backoff(job.Attempt))
}

// Timeout bounds one attempt: operations, email and HTTP all have shorter
// limits of their own.
func (w *StepWorker) Timeout(*river.Job[stepArgs]) time.Duration { return 2 * time.Minute }

// AddWorkers registers the workflow workers.
func AddWorkers(workers *river.Workers, r *Runner) {
	river.AddWorker(workers, &StepWorker{Runner: r})
}

// RiverQueue enqueues steps as River jobs in the caller's transaction.
type RiverQueue struct {
	Client *river.Client[*sql.Tx]
}

// EnqueueStep implements Queue.
func (q *RiverQueue) EnqueueStep(ctx context.Context, tx *sql.Tx, job StepJob, at time.Time) error {
	// Only a future time is passed on: a job scheduled "now" by our clock can
	// look a moment ahead of the database's and wait for River's scheduler
	// (every 5 s) instead of running at once.
	opts := &river.InsertOpts{}
	if at.After(time.Now()) {
		opts.ScheduledAt = at
	}
	_, err := q.Client.InsertTx(ctx, tx, stepArgs{StepJob: job}, opts)
	return err
}
