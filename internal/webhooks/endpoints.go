package webhooks

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/outbound"
)

// Endpoint is a webhook endpoint as the API shows it. The signing secret is
// never part of it.
type Endpoint struct {
	ID             string   `json:"id" doc:"Endpoint id" example:"ep_k3v9q2m8x1c7z5b4q6w0"`
	Kind           string   `json:"kind" enum:"webhook,rest_hook" doc:"webhook: Standard Webhooks envelope; rest_hook: a Zapier REST hook, sent the resource itself"`
	URL            string   `json:"url" example:"https://example.com/hooks/roster"`
	Description    string   `json:"description"`
	EventTypes     []string `json:"eventTypes" doc:"Subscribed event types; resource.* and * select several" example:"[\"user.created\"]"`
	Status         string   `json:"status" enum:"active,paused,disabled" doc:"disabled: stopped by Roster after persistent failure or a 410 Gone"`
	DisabledReason string   `json:"disabledReason,omitempty" doc:"Why Roster disabled the endpoint"`
	FailingSince   *int64   `json:"failingSince" doc:"Unix seconds of the first failed attempt since the last success; null when healthy"`
	LastSuccessAt  *int64   `json:"lastSuccessAt" doc:"Unix seconds of a recent successful delivery (to the minute)"`
	CreatedAt      int64    `json:"createdAt" doc:"Unix seconds"`
	UpdatedAt      int64    `json:"updatedAt" doc:"Unix seconds"`
}

// EndpointWithSecret is returned by create and rotate: the only time the
// secret is shown.
type EndpointWithSecret struct {
	Endpoint
	Secret string `json:"secret" doc:"Signing secret (whsec_…): shown once, store it now" example:"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"`
}

// EndpointCreate is the input of webhooks.create.
type EndpointCreate struct {
	URL         string   `json:"url" minLength:"1" maxLength:"2000" doc:"http(s) URL that receives POSTed events" example:"https://example.com/hooks/roster"`
	EventTypes  []string `json:"eventTypes" minItems:"1" maxItems:"100" doc:"Event types to send: user.created, user.*, or * for all" example:"[\"user.created\",\"user.updated\"]"`
	Description string   `json:"description,omitempty" maxLength:"500"`
}

// EndpointUpdate is the input of webhooks.update; absent fields stay.
type EndpointUpdate struct {
	URL         *string  `json:"url,omitempty" minLength:"1" maxLength:"2000"`
	EventTypes  []string `json:"eventTypes,omitempty" maxItems:"100"`
	Description *string  `json:"description,omitempty" maxLength:"500"`
	Status      *string  `json:"status,omitempty" enum:"active,paused" doc:"paused stops sending; active resumes (also after Roster disabled the endpoint)"`
}

// EndpointPage is a page of endpoints.
type EndpointPage struct {
	Webhooks   []Endpoint `json:"webhooks"`
	TotalCount int        `json:"totalCount"`
}

type endpointRow struct {
	id              int64
	publicID        string
	workspaceID     int64
	kind            string
	url             string
	description     string
	eventTypes      []string
	status          string
	disabledReason  string
	secretEnc       string
	prevSecretEnc   sql.NullString
	prevSecretUntil sql.NullInt64
	failingSince    sql.NullInt64
	exhausted       int
	lastSuccessAt   sql.NullInt64
	createdAt       int64
	updatedAt       int64
}

const endpointColumns = `id, public_id, workspace_id, kind, url, description, event_types, status, disabled_reason,
	secret_enc, prev_secret_enc, prev_secret_until, failing_since, exhausted_count, last_success_at, created_at, updated_at`

func scanEndpoint(row interface{ Scan(...any) error }) (endpointRow, error) {
	var r endpointRow
	var types string
	err := row.Scan(&r.id, &r.publicID, &r.workspaceID, &r.kind, &r.url, &r.description, &types, &r.status, &r.disabledReason,
		&r.secretEnc, &r.prevSecretEnc, &r.prevSecretUntil, &r.failingSince, &r.exhausted, &r.lastSuccessAt, &r.createdAt, &r.updatedAt)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(types), &r.eventTypes); err != nil {
		return r, fmt.Errorf("decode event types of endpoint %s: %w", r.publicID, err)
	}
	return r, nil
}

func (r endpointRow) view() Endpoint {
	e := Endpoint{ID: r.publicID, Kind: r.kind, URL: r.url, Description: r.description, EventTypes: r.eventTypes,
		Status: r.status, DisabledReason: r.disabledReason, CreatedAt: r.createdAt / 1000, UpdatedAt: r.updatedAt / 1000}
	if r.failingSince.Valid {
		v := r.failingSince.Int64 / 1000
		e.FailingSince = &v
	}
	if r.lastSuccessAt.Valid {
		v := r.lastSuccessAt.Int64 / 1000
		e.LastSuccessAt = &v
	}
	if e.EventTypes == nil {
		e.EventTypes = []string{}
	}
	return e
}

// subscribes reports whether the endpoint wants events of type typ.
func (r endpointRow) subscribes(typ string) bool {
	for _, p := range r.eventTypes {
		if events.Matches(p, typ) {
			return true
		}
	}
	return false
}

// checkURL validates an endpoint URL for field.
func (s *Service) checkURL(field, raw string) (string, error) {
	u, err := outbound.CheckURL(raw, s.o.AllowPrivate)
	if err != nil {
		return "", fault.Invalid(field, "%s", err.Error())
	}
	return u.String(), nil
}

// checkTypes validates subscription patterns for p, deduplicated in order.
func checkTypes(p access.Principal, field string, types []string) ([]string, error) {
	var f fault.Fields
	var out []string
	for i, t := range types {
		t = strings.TrimSpace(t)
		if len(t) > 100 {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "must be at most 100 characters")
			continue
		}
		msg, err := events.CheckPattern(p, t)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			f.Add(fmt.Sprintf("%s[%d]", field, i), "%s", msg)
			continue
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fault.Invalid(field, "name at least one event type")
	}
	return out, nil
}

func checkDescription(d string) error {
	if !utf8.ValidString(d) || strings.ContainsRune(d, 0) {
		return fault.Invalid("description", "must be valid text")
	}
	return nil
}

// CreateEndpoint adds an endpoint subscribed to eventTypes and returns it
// with its secret. p must hold the read scope of every subscribed resource.
func (s *Service) CreateEndpoint(ctx context.Context, p access.Principal, in EndpointCreate) (EndpointWithSecret, error) {
	return s.create(ctx, p, KindWebhook, in)
}

func (s *Service) create(ctx context.Context, p access.Principal, kind string, in EndpointCreate) (EndpointWithSecret, error) {
	field := "url"
	typesField := "eventTypes"
	if kind == KindRESTHook {
		field, typesField = "hookUrl", "event"
	}
	url, err := s.checkURL(field, in.URL)
	if err != nil {
		return EndpointWithSecret{}, err
	}
	types, err := checkTypes(p, typesField, in.EventTypes)
	if err != nil {
		if fe, ok := fault.As(err); ok && kind == KindRESTHook {
			for i := range fe.Fields {
				fe.Fields[i].Field = "event"
			}
		}
		return EndpointWithSecret{}, err
	}
	if err := checkDescription(in.Description); err != nil {
		return EndpointWithSecret{}, err
	}
	if !s.o.Cipher.Ready() {
		return EndpointWithSecret{}, fault.Conflict("secret_key_missing", "", "%s", ErrNoKey.Error())
	}
	now := s.timestamp()
	r := endpointRow{publicID: "ep_" + access.NewID(20), workspaceID: p.WorkspaceID, kind: kind, url: url,
		description: in.Description, eventTypes: types, status: StatusActive,
		createdAt: now.UnixMilli(), updatedAt: now.UnixMilli()}
	secret := newSecret()
	if r.secretEnc, err = s.o.Cipher.seal(secret, r.publicID); err != nil {
		return EndpointWithSecret{}, err
	}
	typesJSON, _ := json.Marshal(types)
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO webhook_endpoints (workspace_id, public_id, kind, url, description, event_types,
			status, secret_enc, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			r.workspaceID, r.publicID, r.kind, r.url, r.description, string(typesJSON), r.status, r.secretEnc, r.createdAt, r.updatedAt).Scan(&r.id)
		if err != nil {
			return fmt.Errorf("create webhook endpoint: %w", err)
		}
		s.endpoints.forget()
		_, err = s.events.Record(ctx, tx, r.workspaceID, EventEndpointCreated, r.view())
		return err
	})
	if err != nil {
		return EndpointWithSecret{}, err
	}
	return EndpointWithSecret{Endpoint: r.view(), Secret: secret}, nil
}

// getEndpoint reads a live (not deleted) endpoint of the workspace; lock is
// s.lock() inside a transaction that will change it, else "".
func getEndpoint(ctx context.Context, q db.Querier, workspaceID int64, id, lock string) (endpointRow, error) {
	r, err := scanEndpoint(q.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE public_id = $1 AND workspace_id = $2 AND status <> $3`+lock, id, workspaceID, statusDeleted))
	if db.IsNoRows(err) {
		return r, fault.NotFound("webhook endpoint")
	}
	if err != nil {
		return r, fmt.Errorf("get webhook endpoint %s: %w", id, err)
	}
	return r, nil
}

// lock is the row-locking clause for a read that precedes a write:
// PostgreSQL needs it; SQLite's single writer makes it unnecessary (and
// unsupported).
func (s *Service) lock() string {
	if s.db.Dialect == db.Postgres {
		return ` FOR UPDATE`
	}
	return ""
}

// GetEndpoint returns one endpoint of the workspace.
func (s *Service) GetEndpoint(ctx context.Context, workspaceID int64, id string) (Endpoint, error) {
	r, err := getEndpoint(ctx, s.db.Read(), workspaceID, id, "")
	return r.view(), err
}

// ListEndpoints returns a page of the workspace's endpoints, oldest first.
func (s *Service) ListEndpoints(ctx context.Context, workspaceID int64, offset, limit int) (EndpointPage, error) {
	page := EndpointPage{Webhooks: []Endpoint{}}
	if err := s.db.Read().QueryRowContext(ctx, `SELECT count(*) FROM webhook_endpoints WHERE workspace_id = $1 AND status <> $2`,
		workspaceID, statusDeleted).Scan(&page.TotalCount); err != nil {
		return page, fmt.Errorf("count webhook endpoints: %w", err)
	}
	rows, err := s.db.Read().QueryContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints
		WHERE workspace_id = $1 AND status <> $2 ORDER BY id LIMIT $3 OFFSET $4`, workspaceID, statusDeleted, limit, offset)
	if err != nil {
		return page, fmt.Errorf("list webhook endpoints: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanEndpoint(rows)
		if err != nil {
			return page, fmt.Errorf("list webhook endpoints: %w", err)
		}
		page.Webhooks = append(page.Webhooks, r.view())
	}
	return page, rows.Err()
}

// UpdateEndpoint changes an endpoint. Setting status active re-enables one
// that Roster disabled and clears its failure record.
func (s *Service) UpdateEndpoint(ctx context.Context, p access.Principal, id string, in EndpointUpdate) (Endpoint, error) {
	var url string
	var err error
	if in.URL != nil {
		if url, err = s.checkURL("url", *in.URL); err != nil {
			return Endpoint{}, err
		}
	}
	var types []string
	if in.EventTypes != nil {
		if types, err = checkTypes(p, "eventTypes", in.EventTypes); err != nil {
			return Endpoint{}, err
		}
	}
	if in.Description != nil {
		if err := checkDescription(*in.Description); err != nil {
			return Endpoint{}, err
		}
	}
	if in.Status != nil && *in.Status != StatusActive && *in.Status != StatusPaused {
		return Endpoint{}, fault.Invalid("status", "must be active or paused")
	}
	var out Endpoint
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getEndpoint(ctx, tx, p.WorkspaceID, id, s.lock())
		if err != nil {
			return err
		}
		before := r.view()
		if in.URL != nil {
			r.url = url
		}
		if types != nil {
			r.eventTypes = types
		}
		if in.Description != nil {
			r.description = *in.Description
		}
		if in.Status != nil && *in.Status != r.status {
			r.status = *in.Status
			r.disabledReason = ""
			if r.status == StatusActive {
				r.failingSince, r.exhausted = sql.NullInt64{}, 0
			}
		}
		r.updatedAt = s.timestamp().UnixMilli()
		out, err = s.save(ctx, tx, r, EventEndpointUpdated, before)
		return err
	})
	return out, err
}

// SetStatus pauses or resumes an endpoint.
func (s *Service) SetStatus(ctx context.Context, p access.Principal, id, status string) (Endpoint, error) {
	return s.UpdateEndpoint(ctx, p, id, EndpointUpdate{Status: &status})
}

// save writes r's changeable fields and records typ with the result, and
// with what changed since before (an *.updated event).
func (s *Service) save(ctx context.Context, tx *sql.Tx, r endpointRow, typ string, before Endpoint) (Endpoint, error) {
	typesJSON, _ := json.Marshal(r.eventTypes)
	_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET url = $1, description = $2, event_types = $3, status = $4,
		disabled_reason = $5, failing_since = $6, exhausted_count = $7, secret_enc = $8, prev_secret_enc = $9,
		prev_secret_until = $10, updated_at = $11 WHERE id = $12`,
		r.url, r.description, string(typesJSON), r.status, r.disabledReason, r.failingSince, r.exhausted, r.secretEnc,
		r.prevSecretEnc, r.prevSecretUntil, r.updatedAt, r.id)
	if err != nil {
		return Endpoint{}, fmt.Errorf("update webhook endpoint %s: %w", r.publicID, err)
	}
	s.endpoints.forget()
	v := r.view()
	change, err := events.WithChanges(before, v)
	if err != nil {
		return Endpoint{}, err
	}
	if _, err := s.events.Record(ctx, tx, r.workspaceID, typ, change); err != nil {
		return Endpoint{}, err
	}
	return v, nil
}

// RotateSecret gives the endpoint a new secret and returns it. Requests are
// signed with both the new and the old secret for 24 hours, so a receiver
// can switch without losing a delivery.
func (s *Service) RotateSecret(ctx context.Context, p access.Principal, id string) (EndpointWithSecret, error) {
	if !s.o.Cipher.Ready() {
		return EndpointWithSecret{}, fault.Conflict("secret_key_missing", "", "%s", ErrNoKey.Error())
	}
	secret := newSecret()
	var out EndpointWithSecret
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getEndpoint(ctx, tx, p.WorkspaceID, id, s.lock())
		if err != nil {
			return err
		}
		before := r.view()
		enc, err := s.o.Cipher.seal(secret, r.publicID)
		if err != nil {
			return err
		}
		now := s.timestamp()
		r.prevSecretEnc = sql.NullString{String: r.secretEnc, Valid: true}
		r.prevSecretUntil = sql.NullInt64{Int64: now.Add(24 * time.Hour).UnixMilli(), Valid: true}
		r.secretEnc, r.updatedAt = enc, now.UnixMilli()
		v, err := s.save(ctx, tx, r, EventEndpointUpdated, before)
		out = EndpointWithSecret{Endpoint: v, Secret: secret}
		return err
	})
	return out, err
}

// DeleteEndpoint removes an endpoint: it stops receiving at once and
// disappears from the API. The row stays as a tombstone (secret wiped) until
// pruning, so that unsubscribing a REST hook twice still succeeds.
func (s *Service) DeleteEndpoint(ctx context.Context, workspaceID int64, id string) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		r, err := getEndpoint(ctx, tx, workspaceID, id, s.lock())
		if err != nil {
			return err
		}
		return s.tombstone(ctx, tx, r)
	})
}

func (s *Service) tombstone(ctx context.Context, tx *sql.Tx, r endpointRow) error {
	now := s.timestamp().UnixMilli()
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET status = $1, secret_enc = '', prev_secret_enc = NULL,
		updated_at = $2, deleted_at = $2 WHERE id = $3`, statusDeleted, now, r.id); err != nil {
		return fmt.Errorf("delete webhook endpoint %s: %w", r.publicID, err)
	}
	s.endpoints.forget()
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, last_error = $2, next_attempt_at = NULL,
		updated_at = $3, completed_at = $3 WHERE endpoint_id = $4 AND state = $5`,
		StateCancelled, "endpoint deleted", now, r.id, StatePending); err != nil {
		return fmt.Errorf("cancel deliveries of %s: %w", r.publicID, err)
	}
	r.updatedAt = now
	_, err := s.events.Record(ctx, tx, r.workspaceID, EventEndpointDeleted, r.view())
	return err
}

// disable stops an endpoint for reason and records webhook_endpoint.disabled
// (a REST hook answering 410 is unsubscribed, i.e. deleted, instead).
func (s *Service) disable(ctx context.Context, tx *sql.Tx, endpointID int64, reason string, gone bool) error {
	r, err := scanEndpoint(tx.QueryRowContext(ctx, `SELECT `+endpointColumns+` FROM webhook_endpoints WHERE id = $1`+s.lock(), endpointID))
	if err != nil {
		return fmt.Errorf("disable endpoint %d: %w", endpointID, err)
	}
	if r.status != StatusActive {
		return nil
	}
	if gone && r.kind == KindRESTHook {
		return s.tombstone(ctx, tx, r)
	}
	before := r.view()
	r.status, r.disabledReason, r.updatedAt = StatusDisabled, reason, s.timestamp().UnixMilli()
	_, err = s.save(ctx, tx, r, EventEndpointDisabled, before)
	return err
}
