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
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
)

// deliverArgs is the job of sending one delivery. It carries the id only:
// the delivery row holds everything else, and the event its payload.
type deliverArgs struct {
	DeliveryID int64 `json:"d"`
}

func (deliverArgs) Kind() string { return "webhook_delivery" }

// OnEvent creates, inside the transaction recording e, a delivery and a job
// for every active endpoint of the workspace subscribed to e's type. Register
// it with events.Log.OnRecord.
func (s *Service) OnEvent(ctx context.Context, tx *sql.Tx, e events.Event) error {
	endpoints, err := s.activeEndpoints(ctx, tx, e.WorkspaceID)
	if err != nil {
		return fmt.Errorf("find webhook endpoints for %s: %w", e.Type, err)
	}
	var targets []int64
	for _, r := range endpoints {
		if r.subscribes(e.Type) {
			targets = append(targets, r.id)
		}
	}
	if len(targets) == 0 {
		return nil
	}
	ids, err := s.insertDeliveries(ctx, tx, targets, e.ID, e.Type, e.OccurredAt)
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

// insertDeliveries adds one pending delivery of an event per endpoint, in
// one statement, and returns their ids (in no particular order).
func (s *Service) insertDeliveries(ctx context.Context, tx *sql.Tx, endpoints []int64, eventID, typ string, at time.Time) ([]int64, error) {
	now := s.timestamp().UnixMilli()
	var q strings.Builder
	q.WriteString(`INSERT INTO webhook_deliveries (event_id, event_type, occurred_at, state, next_attempt_at, created_at, updated_at,
		public_id, endpoint_id) VALUES `)
	args := []any{eventID, typ, at.UnixMilli(), StatePending, now}
	for i, ep := range endpoints {
		if i > 0 {
			q.WriteString(", ")
		}
		args = append(args, "dlv_"+access.NewID(20), ep)
		fmt.Fprintf(&q, "($1, $2, $3, $4, $5, $5, $5, $%d, $%d)", len(args)-1, len(args))
	}
	q.WriteString(" RETURNING id")
	rows, err := tx.QueryContext(ctx, q.String(), args...)
	if err != nil {
		return nil, fmt.Errorf("create webhook deliveries: %w", err)
	}
	defer rows.Close()
	ids := make([]int64, 0, len(endpoints))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("create webhook deliveries: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// insertDelivery adds a pending delivery row.
func (s *Service) insertDelivery(ctx context.Context, tx *sql.Tx, endpointID int64, eventID, typ string, at time.Time, testData []byte) (int64, error) {
	now := s.timestamp().UnixMilli()
	var data any
	if testData != nil {
		data = string(testData)
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO webhook_deliveries (public_id, endpoint_id, event_id, event_type, occurred_at,
		test_data, state, next_attempt_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $8) RETURNING id`,
		"dlv_"+access.NewID(20), endpointID, eventID, typ, at.UnixMilli(), data, StatePending, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("create webhook delivery: %w", err)
	}
	return id, nil
}

// enqueue inserts one delivery job per id in tx.
func (s *Service) enqueue(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	if s.jobs == nil {
		return fmt.Errorf("webhooks: no job client")
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, id := range ids {
		params[i] = river.InsertManyParams{Args: deliverArgs{DeliveryID: id},
			InsertOpts: &river.InsertOpts{Queue: Queue, MaxAttempts: len(s.o.Schedule)}}
	}
	if _, err := s.jobs.InsertManyTx(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue webhook deliveries: %w", err)
	}
	return nil
}

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
		did, err := s.insertDelivery(ctx, tx, r.id, "evt_"+access.NewID(24), EventTest, now, data)
		if err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, did); err != nil {
			return err
		}
		out, err = s.getDelivery(ctx, tx, r, did)
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
		type ev struct {
			id, typ string
			at      int64
		}
		var list []ev
		for rows.Next() {
			var e ev
			if err := rows.Scan(&e.id, &e.typ, &e.at); err != nil {
				rows.Close()
				return err
			}
			if !r.subscribes(e.typ) {
				continue
			}
			if len(list) == maxReplay {
				res.LimitReached = true
				break
			}
			list = append(list, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ids := make([]int64, 0, len(list))
		for _, e := range list {
			did, err := s.insertDelivery(ctx, tx, r.id, e.id, e.typ, time.UnixMilli(e.at), nil)
			if err != nil {
				return err
			}
			ids = append(ids, did)
		}
		res.Queued = len(ids)
		for start := 0; start < len(ids); start += 1000 {
			if err := s.enqueue(ctx, tx, ids[start:min(start+1000, len(ids))]...); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}
