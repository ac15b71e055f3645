package counter_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/counter"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestConcurrentMultiAddTransactions runs many transactions that each add
// several times at once: counts stay exact and nothing deadlocks.
func TestConcurrentMultiAddTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		if _, err := d.Write().ExecContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ('w', 1)`); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 10 {
					errs <- d.InTx(ctx, func(tx *sql.Tx) error {
						for range 5 {
							if err := counter.Add(ctx, tx, 1, counter.Users, 1); err != nil {
								return err
							}
						}
						return nil
					})
				}
			}()
		}
		go func() { wg.Wait(); close(errs) }()
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		n, err := counter.Get(ctx, d.Read(), 1, counter.Users)
		if err != nil || n != 16*10*5 {
			t.Fatalf("count %d, %v", n, err)
		}
	})
}
