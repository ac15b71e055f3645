package webhooks

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Delivery is one event sent (or being sent) to one endpoint.
type Delivery struct {
	ID              string    `json:"id" doc:"Delivery id" example:"dlv_k3v9q2m8x1c7z5b4q6w0"`
	EndpointID      string    `json:"endpointId"`
	EventID         string    `json:"eventId" doc:"The event's id, sent as webhook-id (the same on every attempt)"`
	EventType       string    `json:"eventType"`
	State           string    `json:"state" enum:"pending,succeeded,failed,cancelled" doc:"pending: waiting for its next attempt"`
	AttemptCount    int       `json:"attemptCount"`
	StatusCode      *int      `json:"statusCode" doc:"HTTP status of the last attempt; null when none was received"`
	LatencyMs       *int      `json:"latencyMs" doc:"Duration of the last attempt"`
	Error           string    `json:"error" doc:"Why the last attempt failed, if it did"`
	ResponseExcerpt string    `json:"responseExcerpt" doc:"First 1 KiB of the last response body"`
	NextAttemptAt   *int64    `json:"nextAttemptAt" doc:"Unix seconds; null when no attempt is scheduled"`
	CreatedAt       int64     `json:"createdAt" doc:"Unix seconds"`
	CompletedAt     *int64    `json:"completedAt" doc:"Unix seconds when it succeeded, failed for good or was cancelled"`
	Attempts        []Attempt `json:"attempts" doc:"Every attempt, oldest first"`

	id int64
}

// Attempt is one HTTP request of a delivery.
type Attempt struct {
	Attempt         int    `json:"attempt"`
	AttemptedAt     int64  `json:"attemptedAt" doc:"Unix milliseconds"`
	StatusCode      *int   `json:"statusCode" doc:"null when no response arrived (timeout, connection error)"`
	LatencyMs       int    `json:"latencyMs"`
	Error           string `json:"error"`
	ResponseExcerpt string `json:"responseExcerpt"`
}

// DeliveryPage is a page of deliveries, newest first.
type DeliveryPage struct {
	Deliveries []Delivery `json:"deliveries"`
	TotalCount int        `json:"totalCount"`
}

// DeliveryFilter selects deliveries.
type DeliveryFilter struct {
	State     string
	EventType string
	Offset    int
	Limit     int
}

const deliveryColumns = `id, public_id, event_id, event_type, state, attempts, last_status, last_latency_ms, last_error,
	last_response, next_attempt_at, created_at, completed_at`

func scanDelivery(row interface{ Scan(...any) error }, endpointID string) (Delivery, error) {
	d := Delivery{EndpointID: endpointID, Attempts: []Attempt{}}
	var status, latency, next, completed sql.NullInt64
	err := row.Scan(&d.id, &d.ID, &d.EventID, &d.EventType, &d.State, &d.AttemptCount, &status, &latency, &d.Error,
		&d.ResponseExcerpt, &next, &d.CreatedAt, &completed)
	if err != nil {
		return d, err
	}
	d.CreatedAt /= 1000
	if status.Valid {
		v := int(status.Int64)
		d.StatusCode = &v
	}
	if latency.Valid {
		v := int(latency.Int64)
		d.LatencyMs = &v
	}
	if next.Valid && d.State == StatePending {
		v := next.Int64 / 1000
		d.NextAttemptAt = &v
	}
	if completed.Valid {
		v := completed.Int64 / 1000
		d.CompletedAt = &v
	}
	return d, nil
}

// ListDeliveries returns a page of an endpoint's deliveries, newest first,
// each with its attempts.
func (s *Service) ListDeliveries(ctx context.Context, workspaceID int64, endpointID string, f DeliveryFilter) (DeliveryPage, error) {
	page := DeliveryPage{Deliveries: []Delivery{}}
	q := s.db.Read()
	r, err := getEndpoint(ctx, q, workspaceID, endpointID, "")
	if err != nil {
		return page, err
	}
	where := ` WHERE endpoint_id = $1`
	args := []any{r.id}
	if f.State != "" {
		args = append(args, f.State)
		where += fmt.Sprintf(` AND state = $%d`, len(args))
	}
	if f.EventType != "" {
		args = append(args, f.EventType)
		where += fmt.Sprintf(` AND event_type = $%d`, len(args))
	}
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries`+where, args...).Scan(&page.TotalCount); err != nil {
		return page, fmt.Errorf("count deliveries: %w", err)
	}
	args = append(args, f.Limit, f.Offset)
	rows, err := q.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries`+where+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d OFFSET $%d`, len(args)-1, len(args)), args...)
	if err != nil {
		return page, fmt.Errorf("list deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDelivery(rows, r.publicID)
		if err != nil {
			return page, fmt.Errorf("list deliveries: %w", err)
		}
		page.Deliveries = append(page.Deliveries, d)
	}
	if err := rows.Err(); err != nil {
		return page, err
	}
	return page, s.attachAttempts(ctx, q, page.Deliveries)
}

// attachAttempts loads the attempts of ds in one query.
func (s *Service) attachAttempts(ctx context.Context, q db.Querier, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	byID := make(map[int64]*Delivery, len(ds))
	var ph []string
	args := make([]any, 0, len(ds))
	for i := range ds {
		byID[ds[i].id] = &ds[i]
		args = append(args, ds[i].id)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	rows, err := q.QueryContext(ctx, `SELECT delivery_id, attempt, attempted_at, status_code, latency_ms, error, response_excerpt
		FROM webhook_attempts WHERE delivery_id IN (`+strings.Join(ph, ", ")+`) ORDER BY delivery_id, attempt`, args...)
	if err != nil {
		return fmt.Errorf("list attempts: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var a Attempt
		var status sql.NullInt64
		if err := rows.Scan(&id, &a.Attempt, &a.AttemptedAt, &status, &a.LatencyMs, &a.Error, &a.ResponseExcerpt); err != nil {
			return fmt.Errorf("list attempts: %w", err)
		}
		if status.Valid {
			v := int(status.Int64)
			a.StatusCode = &v
		}
		if d := byID[id]; d != nil {
			d.Attempts = append(d.Attempts, a)
		}
	}
	return rows.Err()
}

// GetDelivery returns one delivery of an endpoint with its attempts.
func (s *Service) GetDelivery(ctx context.Context, workspaceID int64, endpointID, deliveryID string) (Delivery, error) {
	q := s.db.Read()
	r, err := getEndpoint(ctx, q, workspaceID, endpointID, "")
	if err != nil {
		return Delivery{}, err
	}
	d, err := s.findDelivery(ctx, q, r, deliveryID)
	if err != nil {
		return d, err
	}
	ds := []Delivery{d}
	err = s.attachAttempts(ctx, q, ds)
	return ds[0], err
}

func (s *Service) findDelivery(ctx context.Context, q db.Querier, r endpointRow, deliveryID string) (Delivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries
		WHERE public_id = $1 AND endpoint_id = $2`, deliveryID, r.id), r.publicID)
	if db.IsNoRows(err) {
		return d, fault.NotFound("delivery")
	}
	if err != nil {
		return d, fmt.Errorf("get delivery %s: %w", deliveryID, err)
	}
	return d, nil
}

// getDelivery reads a delivery by internal id (after creating or changing
// it in tx).
func (s *Service) getDelivery(ctx context.Context, q db.Querier, r endpointRow, id int64) (Delivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, id), r.publicID)
	if err != nil {
		return d, fmt.Errorf("get delivery %d: %w", id, err)
	}
	ds := []Delivery{d}
	err = s.attachAttempts(ctx, q, ds)
	return ds[0], err
}
