package webhooks_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db/dbtest"
	"github.com/rosterhq/roster/internal/jobs"
	"github.com/rosterhq/roster/internal/webhooks"
)

// request is one request a receiver got.
type request struct {
	header http.Header
	body   []byte
	at     time.Time
	status int // what the receiver answered
}

// receiver is a real HTTP server on loopback whose answers a test decides.
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	reqs    []request
	respond func(r *http.Request, n int) (status int, header http.Header, body string)
	arrived chan struct{}
}

// newReceiver starts a receiver answering 200 unless respond says otherwise;
// n counts requests from 1.
func newReceiver(t *testing.T, respond func(r *http.Request, n int) (int, http.Header, string)) *receiver {
	t.Helper()
	rc := &receiver{respond: respond, arrived: make(chan struct{}, 1)}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs) + 1
		rc.reqs = append(rc.reqs, request{header: r.Header.Clone(), body: body, at: time.Now()})
		rc.mu.Unlock()
		select {
		case rc.arrived <- struct{}{}:
		default:
		}
		status, header, text := http.StatusOK, http.Header(nil), ""
		if rc.respond != nil {
			status, header, text = rc.respond(r, n)
		}
		rc.mu.Lock()
		rc.reqs[n-1].status = status
		rc.mu.Unlock()
		for k, v := range header {
			w.Header()[k] = v
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, text)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// endpoint is the API's view, as tests read it.
type endpoint struct {
	ID             string   `json:"id"`
	Kind           string   `json:"kind"`
	URL            string   `json:"url"`
	Description    string   `json:"description"`
	EventTypes     []string `json:"eventTypes"`
	Status         string   `json:"status"`
	DisabledReason string   `json:"disabledReason"`
	FailingSince   *int64   `json:"failingSince"`
	Secret         string   `json:"secret"`
}

type attempt struct {
	Attempt         int    `json:"attempt"`
	AttemptedAt     int64  `json:"attemptedAt"`
	StatusCode      *int   `json:"statusCode"`
	LatencyMs       int    `json:"latencyMs"`
	Error           string `json:"error"`
	ResponseExcerpt string `json:"responseExcerpt"`
}

type delivery struct {
	ID              string    `json:"id"`
	EndpointID      string    `json:"endpointId"`
	EventID         string    `json:"eventId"`
	EventType       string    `json:"eventType"`
	State           string    `json:"state"`
	AttemptCount    int       `json:"attemptCount"`
	StatusCode      *int      `json:"statusCode"`
	Error           string    `json:"error"`
	ResponseExcerpt string    `json:"responseExcerpt"`
	NextAttemptAt   *int64    `json:"nextAttemptAt"`
	Attempts        []attempt `json:"attempts"`
}

type deliveryPage struct {
	Deliveries []delivery `json:"deliveries"`
	TotalCount int        `json:"totalCount"`
}

func createEndpoint(t *testing.T, tenant *apptest.Tenant, url string, types ...string) endpoint {
	t.Helper()
	var e endpoint
	tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": url, "eventTypes": types}).
		Expect(t, http.StatusCreated).JSON(t, &e)
	return e
}

func deliveries(t *testing.T, tenant *apptest.Tenant, endpointID string) []delivery {
	t.Helper()
	var p deliveryPage
	tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+endpointID+"/deliveries?limit=100", nil).Expect(t, http.StatusOK).JSON(t, &p)
	return p.Deliveries
}

var userSeq sync.Mutex
var userN int

func createUser(t *testing.T, tenant *apptest.Tenant) string {
	t.Helper()
	userSeq.Lock()
	userN++
	n := userN
	userSeq.Unlock()
	var u struct {
		ID string `json:"id"`
	}
	tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": fmt.Sprintf("User %d", n),
		"email": fmt.Sprintf("user%d@example.com", n)}).Expect(t, http.StatusCreated).JSON(t, &u)
	return u.ID
}

// clock is a controllable clock shared by Roster and River.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Now().UTC().Truncate(time.Millisecond)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// withClock runs the server on c, with River polling often enough that
// jobs made due by moving the clock start promptly.
func withClock(c *clock) apptest.Option {
	return func(cfg *app.Config) {
		cfg.Clock = c.Now
		prev := cfg.TuneJobs
		cfg.TuneJobs = func(o *jobs.Options) {
			if prev != nil {
				prev(o)
			}
			o.FetchPollInterval = 20 * time.Millisecond
		}
	}
}

// eachDialectWithClock runs fn against a fresh server per engine, each on
// its own controllable clock starting now.
func eachDialectWithClock(t *testing.T, fn func(t *testing.T, s *apptest.Server, clk *clock), opts ...apptest.Option) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			clk := newClock()
			fn(t, apptest.Start(t, d, append([]apptest.Option{withClock(clk)}, opts...)...), clk)
		})
	}
}

// withWebhooks adjusts the webhook options.
func withWebhooks(fn func(o *webhooks.Options)) apptest.Option {
	return func(cfg *app.Config) {
		prev := cfg.TuneWebhooks
		cfg.TuneWebhooks = func(o *webhooks.Options) {
			if prev != nil {
				prev(o)
			}
			fn(o)
		}
	}
}

// withJobs adjusts the job options.
func withJobs(fn func(o *jobs.Options)) apptest.Option {
	return func(cfg *app.Config) {
		prev := cfg.TuneJobs
		cfg.TuneJobs = func(o *jobs.Options) {
			if prev != nil {
				prev(o)
			}
			fn(o)
		}
	}
}

// deliveryJobs returns the River jobs of webhook deliveries.
func deliveryJobs(t *testing.T, s *apptest.Server) []*rivertype.JobRow {
	t.Helper()
	res, err := s.App.Jobs.River.JobList(context.Background(), river.NewJobListParams().Kinds("webhook_delivery").First(1000).
		States(rivertype.JobStateAvailable, rivertype.JobStateCancelled, rivertype.JobStateCompleted, rivertype.JobStateDiscarded,
			rivertype.JobStatePending, rivertype.JobStateRetryable, rivertype.JobStateRunning, rivertype.JobStateScheduled))
	if err != nil {
		t.Fatalf("list jobs: %v", err)
	}
	return res.Jobs
}
