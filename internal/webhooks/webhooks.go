// Package webhooks sends Roster's events to the URLs integrations register:
// Standard Webhooks endpoints (signed envelopes, with secrets) and Zapier
// REST hooks (the resource itself).
//
// Recording an event creates, in the same transaction, one delivery row per
// subscribed endpoint and one River job per delivery; the job carries only
// the delivery's id. A worker sends the request, records the attempt and
// either finishes, schedules the next attempt on the retry schedule, or gives
// up. The delivery rows are the audit log the API shows.
//
// Requests: POST with the envelope {"id","type","timestamp","data"} (a REST
// hook gets data alone), headers webhook-id (the event id, the same on every
// attempt and replay), webhook-timestamp (this attempt, Unix seconds) and
// webhook-signature ("v1,<base64 HMAC-SHA256 of id.timestamp.body>"; two
// signatures for 24 h after a secret rotation). Redirects are not followed.
//
// Outcomes: any 2xx succeeds. 410 Gone unsubscribes: a REST hook is deleted,
// an endpoint disabled. Other 4xx except 408 and 429, a refused (private)
// target and a secret that cannot be decrypted fail at once, unretried.
// Everything else (5xx, 3xx, 408, 429, timeouts, connection errors) is
// retried on DefaultSchedule — immediately, 5 s, 5 min, 30 min, 2 h, 5 h,
// 10 h, 14 h, 20 h, 24 h, each ±10 % jitter, ten attempts over about 3 days
// 3 hours — never sooner than a 429's or 503's Retry-After (capped at 24 h).
//
// Disabling: an endpoint whose every attempt has failed for 5 days since its
// last success, or that has given up 10 deliveries in a row, is disabled and
// webhook_endpoint.disabled is recorded (the owner can subscribe to it, or
// see it in GET /events). Resuming clears the record.
//
// Isolation: River runs up to Config.WebhookWorkers (100) deliveries at once
// on one queue; each request is bounded (15 s, connect 5 s, 64 KiB read), and
// one endpoint holds at most PerEndpoint (8) of them on a node: a job for an
// endpoint at its cap is snoozed (not an attempt), so a slow receiver delays
// only itself.
//
// Secrets: whsec_ + base64 of 32 random bytes, returned by create and
// rotate only, stored AES-256-GCM-encrypted under the server key (bound to
// the endpoint id), never logged.
//
// Writes: attempt results are committed in batches (see writer), which is
// what lets SQLite's single writer and PostgreSQL's round trips keep up at
// thousands of deliveries a second.
package webhooks

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/jobs"
	"github.com/rosterhq/roster/internal/outbound"
)

// Queue is the River queue of webhook deliveries.
const Queue = "webhooks"

// Endpoint kinds.
const (
	KindWebhook  = "webhook"   // Standard Webhooks envelope, signed
	KindRESTHook = "rest_hook" // Zapier REST hook: the resource itself
)

// Endpoint statuses.
const (
	StatusActive   = "active"
	StatusPaused   = "paused"
	StatusDisabled = "disabled"
	statusDeleted  = "deleted" // a tombstone: REST hook unsubscribes stay idempotent
)

// Delivery states.
const (
	StatePending   = "pending"
	StateSucceeded = "succeeded"
	StateFailed    = "failed"
	StateCancelled = "cancelled"
)

// Event types this package records.
const (
	EventEndpointCreated  = "webhook_endpoint.created"
	EventEndpointUpdated  = "webhook_endpoint.updated"
	EventEndpointDeleted  = "webhook_endpoint.deleted"
	EventEndpointDisabled = "webhook_endpoint.disabled"
	// EventTest is the type of the test event sent by webhooks.test; it is
	// delivered to one endpoint and not recorded in the log.
	EventTest = "webhook_endpoint.test"
)

// DefaultSchedule is the delay before each attempt, the first immediate:
// Standard Webhooks' example schedule, ten attempts over about 3 days 3 h.
var DefaultSchedule = []time.Duration{
	0, 5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 14 * time.Hour, 20 * time.Hour, 24 * time.Hour,
}

// Options configures the service.
type Options struct {
	DB     *db.DB
	Events *events.Log
	Now    func() time.Time
	Cipher *Cipher
	Logger *slog.Logger
	// AllowPrivate lets endpoints point at loopback, private and link-local
	// addresses (tests, local setups).
	AllowPrivate bool
	// Client sends the requests; default a guarded outbound client with
	// Timeout.
	Client *http.Client
	// Timeout bounds one request (default 15 s).
	Timeout time.Duration
	// Schedule overrides DefaultSchedule (its length is the attempt count).
	Schedule []time.Duration
	// Jitter spreads each delay by ± this fraction (default 0.1).
	Jitter float64
	// DisableAfter disables an endpoint that has failed every attempt for
	// this long (default 5 days).
	DisableAfter time.Duration
	// DisableAfterExhausted disables an endpoint after this many deliveries
	// in a row were given up (default 10).
	DisableAfterExhausted int
	// PerEndpoint caps concurrent requests to one endpoint on this node
	// (default 8), so a slow receiver cannot occupy every worker.
	PerEndpoint int
	// Version goes into the User-Agent.
	Version string
	// Observe, when set, is told each recorded attempt's outcome
	// ("succeeded", "retrying", "failed", "gone") and the receiver's latency
	// (metrics).
	Observe func(outcome string, latency time.Duration)
}

// Service manages endpoints and sends deliveries.
type Service struct {
	o      Options
	db     *db.DB
	events *events.Log
	now    func() time.Time
	client *http.Client
	jobs   *jobs.Client

	// nextRetry hands the time Work chose for the next attempt to NextRetry,
	// which River calls right after Work returns. Keyed by River job id.
	nextRetry sync.Map
	inflight  limiter
	writer    writer
	endpoints endpointCache
}

// New returns a Service; SetJobs must be called before events are recorded.
func New(o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = outbound.DefaultTimeout
	}
	if o.Client == nil {
		o.Client = outbound.NewClient(outbound.Options{AllowPrivate: o.AllowPrivate, Timeout: o.Timeout})
	}
	if len(o.Schedule) == 0 {
		o.Schedule = DefaultSchedule
	}
	if o.Jitter == 0 {
		o.Jitter = 0.1
	}
	if o.DisableAfter == 0 {
		o.DisableAfter = 5 * 24 * time.Hour
	}
	if o.DisableAfterExhausted == 0 {
		o.DisableAfterExhausted = 10
	}
	if o.PerEndpoint == 0 {
		o.PerEndpoint = 8
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Cipher == nil {
		o.Cipher = &Cipher{}
	}
	return &Service{o: o, db: o.DB, events: o.Events, now: o.Now, client: o.Client,
		inflight: limiter{max: o.PerEndpoint, n: map[int64]int{}}}
}

// AddWorkers registers the delivery worker.
func (s *Service) AddWorkers(w *river.Workers) { river.AddWorker(w, &worker{s: s}) }

// SetJobs gives the service the River client it enqueues deliveries with.
func (s *Service) SetJobs(c *jobs.Client) { s.jobs = c }

// JobTimeout is how long one delivery job may run: the request's timeout and
// room for the bookkeeping around it.
func (s *Service) JobTimeout() time.Duration { return s.o.Timeout + 10*time.Second }

func (s *Service) timestamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// limiter counts requests in flight per endpoint on this node.
type limiter struct {
	mu  sync.Mutex
	max int
	n   map[int64]int
}

func (l *limiter) acquire(id int64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[id] >= l.max {
		return false
	}
	l.n[id]++
	return true
}

func (l *limiter) release(id int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[id]--; l.n[id] <= 0 {
		delete(l.n, id)
	}
}

// Prune removes finished deliveries older than 30 days and endpoints
// deleted more than 30 days ago, a batch at a time; it returns how many rows
// went.
func (s *Service) Prune(ctx context.Context) (int64, error) {
	cutoff := s.now().Add(-30 * 24 * time.Hour).UnixMilli()
	var total int64
	for {
		var n int64
		err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (
				SELECT id FROM webhook_deliveries WHERE created_at < $1 AND state <> $2 LIMIT 1000)`, cutoff, StatePending)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			return nil
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < 1000 {
			break
		}
	}
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE status = $1 AND deleted_at < $2
			AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.endpoint_id = webhook_endpoints.id)`, statusDeleted, cutoff)
		if err == nil {
			n, _ := res.RowsAffected()
			total += n
		}
		return err
	})
	return total, err
}
