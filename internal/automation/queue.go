package automation

import (
	"context"
	"database/sql"
	"time"

	"github.com/riverqueue/river"
)

// QueueName is the River queue workflow steps run on.
const QueueName = "workflows"

// runnerAttempts is how often River retries a job whose runner failed
// (the database unreachable). Step failures are not job failures: the runner
// applies each step's own retry policy with jobs of its own.
const runnerAttempts = 25

type stepArgs struct {
	StepJob
}

func (stepArgs) Kind() string { return "workflow_step" }

func (stepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueName, MaxAttempts: runnerAttempts}
}

// StepWorker runs workflow steps from River.
type StepWorker struct {
	river.WorkerDefaults[stepArgs]
	Runner *Runner
}

// Work runs the run from the job's step on; River retries it (with its own
// backoff) only when the runner itself fails.
func (w *StepWorker) Work(ctx context.Context, job *river.Job[stepArgs]) error {
	return w.Runner.Execute(ctx, job.Args.StepJob, job.Attempt)
}

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
