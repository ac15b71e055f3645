package automation

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/db"
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

// EnqueueSteps implements Queue, with one River insert per enqueueBatch jobs.
func (q *RiverQueue) EnqueueSteps(ctx context.Context, tx *sql.Tx, at time.Time, jobs ...StepJob) error {
	// Only a future time is passed on: a job scheduled "now" by our clock can
	// look a moment ahead of the database's and wait for River's scheduler
	// (every 5 s) instead of running at once.
	opts := &river.InsertOpts{}
	if at.After(time.Now()) {
		opts.ScheduledAt = at
	}
	return db.InChunks(jobs, 1, enqueueBatch, func(chunk []StepJob) error {
		params := make([]river.InsertManyParams, len(chunk))
		for i, job := range chunk {
			params[i] = river.InsertManyParams{Args: stepArgs{StepJob: job}, InsertOpts: opts}
		}
		if _, err := q.Client.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("enqueue %d workflow steps: %w", len(chunk), err)
		}
		return nil
	})
}

// enqueueBatch bounds the jobs one River insert carries.
const enqueueBatch = 1000
