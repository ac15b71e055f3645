package webhooks

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
	"github.com/rosterhq/roster/internal/events"
)

// TestWriteResultsInOneBatch writes a batch of mixed outcomes (success,
// no response, retry, a delivery cancelled meanwhile) in one transaction
// on each engine: PostgreSQL's array statements and SQLite's per-row ones
// must agree.
func TestWriteResultsInOneBatch(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Millisecond)
		s := New(Options{DB: d, Events: events.NewLog(d, time.Now), Now: func() time.Time { return now }})
		var ws, ep int64
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(d.Write().QueryRowContext(ctx, `INSERT INTO workspaces (name, created_at) VALUES ('w', 1) RETURNING id`).Scan(&ws))
		must(d.Write().QueryRowContext(ctx, `INSERT INTO webhook_endpoints (workspace_id, public_id, kind, url, event_types, status,
			secret_enc, created_at, updated_at) VALUES ($1, 'ep_1', 'webhook', 'http://x', '["user.created"]', 'active', 'v1:x', 1, 1)
			RETURNING id`, ws).Scan(&ep))
		var ids []int64
		must(d.InTx(ctx, func(tx *sql.Tx) error {
			var err error
			d := newDelivery{endpointID: ep, eventID: "evt_1", eventType: "user.created", occurredAt: now}
			ids, err = s.insertDeliveries(ctx, tx, []newDelivery{d, d, d, d})
			return err
		}))
		if len(ids) != 4 {
			t.Fatalf("inserted %d deliveries", len(ids))
		}
		_, err := d.Write().ExecContext(ctx, `UPDATE webhook_deliveries SET state = 'cancelled' WHERE id = $1`, ids[3])
		must(err)
		mk := func(id int64, state string, status int64, errText string) *result {
			r := &result{t: target{deliveryID: id, endpointID: ep}, state: state,
				o: outcome{at: now, latency: 12 * time.Millisecond, err: errText, excerpt: "body\x00"[:4]}}
			if status != 0 {
				r.status = sql.NullInt64{Int64: status, Valid: true}
			}
			switch state {
			case StateSucceeded:
				r.v = succeeded
				r.completed = sql.NullInt64{Int64: now.UnixMilli(), Valid: true}
			case StatePending:
				r.v = retry
				r.next = sql.NullInt64{Int64: now.Add(5 * time.Second).UnixMilli(), Valid: true}
			}
			return r
		}
		batch := []*result{mk(ids[0], StateSucceeded, 200, ""), mk(ids[1], StatePending, 0, "connection refused"),
			mk(ids[2], StatePending, 503, "HTTP 503"), mk(ids[3], StateSucceeded, 200, "")}
		must(d.InTx(ctx, func(tx *sql.Tx) error { return s.writeResults(ctx, tx, batch) }))

		type row struct {
			state    string
			attempts int
			status   sql.NullInt64
			next     sql.NullInt64
			errText  string
		}
		want := []row{
			{StateSucceeded, 1, sql.NullInt64{Int64: 200, Valid: true}, sql.NullInt64{}, ""},
			{StatePending, 1, sql.NullInt64{}, sql.NullInt64{Int64: now.Add(5 * time.Second).UnixMilli(), Valid: true}, "connection refused"},
			{StatePending, 1, sql.NullInt64{Int64: 503, Valid: true}, sql.NullInt64{Int64: now.Add(5 * time.Second).UnixMilli(), Valid: true}, "HTTP 503"},
			{StateCancelled, 0, sql.NullInt64{}, sql.NullInt64{Int64: now.UnixMilli(), Valid: true}, ""},
		}
		for i, id := range ids {
			var got row
			must(d.Read().QueryRowContext(ctx, `SELECT state, attempts, last_status, next_attempt_at, last_error FROM webhook_deliveries
				WHERE id = $1`, id).Scan(&got.state, &got.attempts, &got.status, &got.next, &got.errText))
			if got != want[i] {
				t.Errorf("delivery %d: %+v, want %+v", i, got, want[i])
			}
		}
		var n int
		must(d.Read().QueryRowContext(ctx, `SELECT count(*) FROM webhook_attempts WHERE attempt = 1 AND latency_ms = 12 AND response_excerpt = 'body'`).Scan(&n))
		if n != 3 {
			t.Fatalf("%d attempt rows, want 3", n)
		}
		var since sql.NullInt64
		must(d.Read().QueryRowContext(ctx, `SELECT failing_since FROM webhook_endpoints WHERE id = $1`, ep).Scan(&since))
		if !since.Valid {
			t.Fatal("failures not recorded on the endpoint")
		}
	})
}
