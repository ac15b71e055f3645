package jobs_test

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
	"github.com/rosterhq/roster/internal/jobs"
)

type pingArgs struct{ N int }

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	done chan int
}

func (w *pingWorker) Work(_ context.Context, j *river.Job[pingArgs]) error {
	w.done <- j.Args.N
	return nil
}

// TestJobsShareOurTransactions: a job inserted in a transaction exists
// exactly when the transaction commits, and then runs; River's tables are
// migrated on open, twice without harm.
func TestJobsShareOurTransactions(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			url := dbtest.URL(t, dialect)
			d, err := db.Open(context.Background(), db.Options{URL: url})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			if err := d.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			w := &pingWorker{done: make(chan int, 4)}
			workers := river.NewWorkers()
			river.AddWorker(workers, w)
			open := func() *jobs.Runner {
				r, err := jobs.Open(ctx, jobs.Options{DB: d, DatabaseURL: url, Workers: workers, Queues: map[string]int{river.QueueDefault: 2}})
				if err != nil {
					t.Fatal(err)
				}
				return r
			}
			open().Close() // migrates; the second open finds River's tables in place
			r := open()
			defer r.Close()

			rollback := errors.New("roll back")
			err = d.InTx(ctx, func(tx *sql.Tx) error {
				if _, err := r.River.InsertTx(ctx, tx, pingArgs{N: 1}, nil); err != nil {
					return err
				}
				return rollback
			})
			if !errors.Is(err, rollback) {
				t.Fatal(err)
			}
			if err := d.InTx(ctx, func(tx *sql.Tx) error {
				_, err := r.River.InsertTx(ctx, tx, pingArgs{N: 2}, nil)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := r.Start(ctx); err != nil {
				t.Fatal(err)
			}
			defer r.Stop(ctx)
			select {
			case n := <-w.done:
				if n != 2 {
					t.Fatalf("ran job %d, want only the committed one (2)", n)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the committed job did not run")
			}
			select {
			case n := <-w.done:
				t.Fatalf("the rolled-back job %d ran", n)
			case <-time.After(300 * time.Millisecond):
			}
		})
	}
}
