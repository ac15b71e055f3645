package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// deliverArgs is the job of sending one delivery. It carries the id only:
// the delivery row holds everything else, and the event its payload.
type deliverArgs struct {
	DeliveryID int64 `json:"d"`
}

func (deliverArgs) Kind() string { return "webhook_delivery" }

// OnEvent creates, inside the transaction recording a batch of events, a
// delivery and a job for every event and every active endpoint of the
// workspace subscribed to its type: one endpoint look-up, then a few
// multi-row statements for the whole batch. Register it with
// events.Log.OnRecord.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, batch []events.Event) error {
	endpoints, err := s.activeEndpoints(ctx, tx, batch[0].WorkspaceID)
	if err != nil {
		return fmt.Errorf("find webhook endpoints for %s: %w", batch[0].Type, err)
	}
	var list []newDelivery
	for _, e := range batch {
		for _, r := range endpoints {
			if r.subscribes(e.Type) {
				list = append(list, newDelivery{endpointID: r.id, eventID: e.ID, eventType: e.Type, occurredAt: e.OccurredAt})
			}
		}
	}
	if len(list) == 0 {
		return nil
	}
	ids, err := s.insertDeliveries(ctx, tx, list)
	if err != nil {
		return err
	}
	return s.enqueue(ctx, tx, ids...)
}

// endpointCache remembers the active endpoints of the workspace last looked
// up, for the transaction that looked: a bulk operation records thousands
// of events in one transaction, and they need one look-up, not one each.
// Holding the *sql.Tx keeps its address from being reused by another.
// Any change to endpoints made through this package forgets it; an endpoint
// created by another transaction while one runs may miss the rest of that
// one's events, as if it had been created after it.
type endpointCache struct {
	mu        sync.Mutex
	tx        *sql.Tx
	workspace int64
	endpoints []endpointRow
}

func (c *endpointCache) forget() {
	c.mu.Lock()
	c.tx, c.endpoints = nil, nil
	c.mu.Unlock()
}

// activeEndpoints returns the workspace's active endpoints with their
// subscriptions, as seen by tx.
func (s *Service) activeEndpoints(ctx context.Context, tx *sql.Tx, workspaceID int64) ([]endpointRow, error) {
	c := &s.endpoints
	c.mu.Lock()
	if c.tx == tx && c.workspace == workspaceID {
		eps := c.endpoints
		c.mu.Unlock()
		return eps, nil
	}
	c.mu.Unlock()
	rows, err := tx.QueryContext(ctx, `SELECT id, event_types FROM webhook_endpoints WHERE workspace_id = $1 AND status = $2`,
		workspaceID, StatusActive)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var eps []endpointRow
	for rows.Next() {
		var r endpointRow
		var types string
		if err := rows.Scan(&r.id, &types); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(types), &r.eventTypes); err != nil {
			return nil, fmt.Errorf("decode event types of endpoint %d: %w", r.id, err)
		}
		eps = append(eps, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.tx, c.workspace, c.endpoints = tx, workspaceID, eps
	c.mu.Unlock()
	return eps, nil
}

// newDelivery is a pending delivery to create: an event for one endpoint.
type newDelivery struct {
	endpointID int64
	eventID    string
	eventType  string
	occurredAt time.Time
	testData   []byte // the payload of a test event, which is not in the log; nil otherwise
}

// insertDeliveries adds pending deliveries with a few multi-row statements
// and returns their ids (in no particular order).
func (s *Service) insertDeliveries(ctx context.Context, tx *sql.Tx, list []newDelivery) ([]int64, error) {
	now := s.timestamp().UnixMilli()
	ids := make([]int64, 0, len(list))
	err := db.InChunks(list, 6, db.ParamBudgetFor(s.db.Dialect)-2, func(chunk []newDelivery) error {
		var q strings.Builder
		q.WriteString(`INSERT INTO webhook_deliveries (state, next_attempt_at, created_at, updated_at,
			public_id, endpoint_id, event_id, event_type, occurred_at, test_data) VALUES `)
		args := make([]any, 0, 2+6*len(chunk))
		args = append(args, StatePending, now)
		for i, d := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			var data any
			if d.testData != nil {
				data = string(d.testData)
			}
			args = append(args, "dlv_"+access.NewID(20), d.endpointID, d.eventID, d.eventType, d.occurredAt.UnixMilli(), data)
			n := len(args)
			fmt.Fprintf(&q, "($1, $2, $2, $2, $%d, $%d, $%d, $%d, $%d, $%d)", n-5, n-4, n-3, n-2, n-1, n)
		}
		rows, err := tx.QueryContext(ctx, q.String()+" RETURNING id", args...)
		if err != nil {
			return err
		}
		got, err := db.ScanInt64s(rows)
		ids = append(ids, got...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create webhook deliveries: %w", err)
	}
	return ids, nil
}

// enqueue inserts one delivery job per id in tx, up to enqueueBatch per
// River call.
func (s *Service) enqueue(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if s.jobs == nil {
		return fmt.Errorf("webhooks: no job client")
	}
	return db.InChunks(ids, 1, enqueueBatch, func(chunk []int64) error {
		params := make([]river.InsertManyParams, len(chunk))
		for i, id := range chunk {
			params[i] = river.InsertManyParams{Args: deliverArgs{DeliveryID: id},
				InsertOpts: &river.InsertOpts{Queue: Queue, MaxAttempts: len(s.o.Schedule)}}
		}
		if _, err := s.jobs.InsertManyTx(ctx, tx, params); err != nil {
			return fmt.Errorf("enqueue webhook deliveries: %w", err)
		}
		return nil
	})
}

// enqueueBatch bounds the jobs one River insert carries.
const enqueueBatch = 1000

// SendTest queues a webhook_endpoint.test event to one endpoint, whatever
// its subscriptions and even when paused or disabled, and returns the
// delivery to follow.
func (s *Service) SendTest(ctx context.Context, workspaceID int64, id string) (Delivery, error) {
	var out Delivery
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getEndpoint(ctx, tx, workspaceID, id, "")
		if err != nil {
			return err
		}
		now := s.timestamp()
		data, _ := json.Marshal(map[string]any{
			"message":    "This is a test event from Roster.",
			"endpointId": r.publicID,
		})
		ids, err := s.insertDeliveries(ctx, tx, []newDelivery{{endpointID: r.id, eventID: "evt_" + access.NewID(24),
			eventType: EventTest, occurredAt: now, testData: data}})
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, ids...); err != nil {
			return err
		}
		out, err = s.getDelivery(ctx, tx, r, ids[0])
		return err
	})
	return out, err
}

// RetryDelivery sends a finished delivery again now, with a fresh retry
// schedule; its attempts keep counting. A delivery still pending cannot be
// retried (it is being retried already).
func (s *Service) RetryDelivery(ctx context.Context, workspaceID int64, endpointID, deliveryID string) (Delivery, error) {
	var out Delivery
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getEndpoint(ctx, tx, workspaceID, endpointID, s.lock())
		if err != nil {
			return err
		}
		d, err := s.findDelivery(ctx, tx, r, deliveryID)
		if err != nil {
			return err
		}
		if d.State == StatePending {
			return fault.Conflict("delivery_pending", "", "delivery %s is still pending; it will be retried on its schedule", deliveryID)
		}
		if r.status != StatusActive && d.EventType != EventTest {
			return fault.Conflict("endpoint_inactive", "", "endpoint %s is %s; resume it first", r.publicID, r.status)
		}
		now := s.timestamp().UnixMilli()
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, next_attempt_at = $2, completed_at = NULL,
			updated_at = $2 WHERE id = $3`, StatePending, now, d.id); err != nil {
			return fmt.Errorf("retry delivery %s: %w", deliveryID, err)
		}
		if err := s.enqueue(ctx, tx, d.id); err != nil {
			return err
		}
		out, err = s.getDelivery(ctx, tx, r, d.id)
		return err
	})
	return out, err
}

// ReplayInput is the input of webhooks.replay.
type ReplayInput struct {
	Since      time.Time  `json:"since" doc:"Replay events that occurred at or after this time (RFC 3339)" example:"2026-01-02T15:04:05Z"`
	Until      *time.Time `json:"until,omitempty" doc:"…and before this time; default now"`
	OnlyFailed bool       `json:"onlyFailed,omitempty" doc:"Skip events this endpoint already received successfully"`
}

// ReplayResult reports what was queued.
type ReplayResult struct {
	Queued       int  `json:"queued" doc:"Deliveries created"`
	LimitReached bool `json:"limitReached" doc:"More events matched than one replay sends (10,000); replay again from the last one"`
}

// maxReplay bounds the deliveries one replay creates.
const maxReplay = 10_000

// Replay creates new deliveries to the endpoint of every event it
// subscribes to in [since, until), oldest first. Receivers see the event's
// own id in webhook-id, so a receiver that deduplicates ignores what it has.
func (s *Service) Replay(ctx context.Context, workspaceID int64, id string, in ReplayInput) (ReplayResult, error) {
	var res ReplayResult
	until := s.now()
	if in.Until != nil {
		until = *in.Until
	}
	if in.Since.IsZero() {
		return res, fault.Invalid("since", "is required")
	}
	if !until.After(in.Since) {
		return res, fault.Invalid("until", "must be after since")
	}
	if in.Since.Before(s.now().Add(-90 * 24 * time.Hour)) {
		return res, fault.Invalid("since", "must be within the last 90 days")
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getEndpoint(ctx, tx, workspaceID, id, s.lock())
		if err != nil {
			return err
		}
		if r.status != StatusActive {
			return fault.Conflict("endpoint_inactive", "", "endpoint %s is %s; resume it first", r.publicID, r.status)
		}
		q := `SELECT e.event_id, e.type, e.occurred_at FROM events e WHERE e.workspace_id = $1 AND e.occurred_at >= $2 AND e.occurred_at < $3`
		if in.OnlyFailed {
			q += ` AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = $4 AND d.event_id = e.event_id AND d.state = 'succeeded')`
		} else {
			q += ` AND $4 > 0`
		}
		rows, err := tx.QueryContext(ctx, q+` ORDER BY e.seq`, workspaceID, in.Since.UnixMilli(), until.UnixMilli(), r.id)
		if err != nil {
			return fmt.Errorf("replay: find events: %w", err)
		}
		var list []newDelivery
		for rows.Next() {
			d := newDelivery{endpointID: r.id}
			var at int64
			if err := rows.Scan(&d.eventID, &d.eventType, &at); err != nil {
				rows.Close()
				return err
			}
			if !r.subscribes(d.eventType) {
				continue
			}
			if len(list) == maxReplay {
				res.LimitReached = true
				break
			}
			d.occurredAt = time.UnixMilli(at)
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		ids, err := s.insertDeliveries(ctx, tx, list)
		if err != nil {
			return err
		}
		res.Queued = len(ids)
		return s.enqueue(ctx, tx, ids...)
	})
	return res, err
}
