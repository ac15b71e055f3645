// Package apptest starts a complete Roster on a real database (SQLite file or
// PostgreSQL schema) behind a real HTTP server on loopback, for end-to-end
// tests of every face.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// Server is a running Roster under test.
type Server struct {
	URL         string
	DatabaseURL string
	App         *app.App
	Client      *http.Client
}

// Option adjusts the configuration before start.
type Option func(*app.Config)

// WithRateLimit sets the default per-key rate limit (0 disables it; the
// default in tests is disabled).
func WithRateLimit(n int) Option { return func(c *app.Config) { c.RateLimit = n } }

// WithDatabaseURL starts on an existing database (to restart a server on
// the data of an earlier one) instead of a fresh one.
func WithDatabaseURL(url string) Option { return func(c *app.Config) { c.DatabaseURL = url } }

// WithAuthFailureLimit throttles failed authentications per client address.
func WithAuthFailureLimit(n int) Option { return func(c *app.Config) { c.AuthFailureLimit = n } }

// WithSMTP sends workflow email through the SMTP server at url.
func WithSMTP(url string) Option { return func(c *app.Config) { c.SMTPURL = url } }

// TestSecretKey is the server secret key of test servers (a restarted
// server must decrypt what the first one stored).
const TestSecretKey = "roster-test-secret-key-0123456789abcdef"

// Start runs Roster on a fresh database of the dialect, with its background
// work running and outbound requests to loopback allowed, and stops it when
// the test ends.
func Start(tb testing.TB, dialect db.Dialect, opts ...Option) *Server {
	tb.Helper()
	cfg := app.DefaultConfig()
	cfg.RateLimit = 0
	cfg.AuthFailureLimit = 0 // registry-wide tests present many wrong keys
	cfg.AllowPrivateTargets = true
	cfg.ScheduleInterval = 200 * time.Millisecond
	cfg.SecretKey = TestSecretKey
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.DatabaseURL == "" {
		cfg.DatabaseURL = dbtest.URL(tb, dialect)
	}
	log := slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(context.Background(), cfg, log)
	if err != nil {
		tb.Fatalf("start roster on %s: %v", dialect, err)
	}
	if err := a.Start(context.Background()); err != nil {
		a.Close()
		tb.Fatalf("start background work: %v", err)
	}
	srv := httptest.NewServer(a.Server.Handler)
	if cfg.PublicURL == "" {
		a.Directory.SetPublicURL(srv.URL) // known only once the listener is up
	}
	tb.Cleanup(func() {
		srv.Close()
		a.Close()
	})
	client := srv.Client()
	// Every response a test receives through the server's client is checked
	// against the OpenAPI document (see openapicheck.go); benchmarks skip it.
	if _, bench := tb.(*testing.B); !bench {
		checker, err := documentChecker(client, srv.URL)
		if err != nil {
			tb.Fatalf("OpenAPI document: %v", err)
		}
		client.Transport = checkingTransport{next: client.Transport, checker: checker, tb: tb}
	}
	return &Server{URL: srv.URL, App: a, Client: client, DatabaseURL: cfg.DatabaseURL}
}

// EachDialect runs fn against a fresh server per engine.
func EachDialect(t *testing.T, fn func(t *testing.T, s *Server), opts ...Option) {
	t.Helper()
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, Start(t, d, opts...)) })
	}
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

var workspaceSeq atomic.Int64

// Tenant is a workspace with a key holding every scope.
type Tenant struct {
	ID   int64
	Name string
	Key  string
	s    *Server
}

// Tenant creates a workspace and an all-scopes key for it.
func (s *Server) Tenant(tb testing.TB) *Tenant {
	tb.Helper()
	name := "ws-" + access.NewID(8)
	ws, err := s.App.Access.CreateWorkspace(context.Background(), name)
	if err != nil {
		tb.Fatalf("create workspace: %v", err)
	}
	t := &Tenant{ID: ws.ID, Name: ws.Name, s: s}
	t.Key = t.NewKey(tb, access.AllScopes...)
	return t
}

// Adopt returns t bound to s, for a server restarted on t's database.
func (s *Server) Adopt(t *Tenant) *Tenant {
	return &Tenant{ID: t.ID, Name: t.Name, Key: t.Key, s: s}
}

// NewKey creates another key in the tenant's workspace with the scopes.
func (t *Tenant) NewKey(tb testing.TB, scopes ...access.Scope) string {
	tb.Helper()
	return t.NewKeyWithLimit(tb, 0, scopes...)
}

// NewKeyWithLimit creates a key with its own per-minute rate limit.
func (t *Tenant) NewKeyWithLimit(tb testing.TB, limit int, scopes ...access.Scope) string {
	tb.Helper()
	_, secret, err := t.s.App.Access.CreateKey(context.Background(), access.NewKey{WorkspaceID: t.ID, Name: "test", Scopes: scopes, RateLimit: limit})
	if err != nil {
		tb.Fatalf("create key: %v", err)
	}
	return secret
}

// Response is a finished HTTP exchange.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Request describes one call.
type Request struct {
	Method  string
	Path    string
	Key     string // sent as X-API-KEY unless empty
	Body    any    // marshalled to JSON; a string or []byte is sent as is
	Headers map[string]string
}

// Do sends r and reads the whole response.
func (s *Server) Do(tb testing.TB, r Request) *Response {
	tb.Helper()
	var body io.Reader
	switch b := r.Body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			tb.Fatalf("marshal body: %v", err)
		}
		body = bytes.NewReader(buf)
	}
	// The response check reports to the test making this call (a fuzz
	// target's t, not the f that started the server).
	req, err := http.NewRequestWithContext(context.WithValue(context.Background(), callerKey{}, tb), r.Method, s.URL+r.Path, body)
	if err != nil {
		tb.Fatalf("new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Key != "" {
		req.Header.Set("X-API-KEY", r.Key)
	}
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", r.Method, r.Path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("read %s %s: %v", r.Method, r.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Call is Do for the tenant's own all-scopes key.
func (t *Tenant) Call(tb testing.TB, method, path string, body any) *Response {
	tb.Helper()
	return t.s.Do(tb, Request{Method: method, Path: path, Key: t.Key, Body: body})
}

// Expect fails the test unless the status is want, showing the body.
func (r *Response) Expect(tb testing.TB, want int) *Response {
	tb.Helper()
	if r.Status != want {
		tb.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
	return r
}

// JSON decodes the body into v.
func (r *Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Map decodes the body as a JSON object.
func (r *Response) Map(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	r.JSON(tb, &m)
	return m
}

// Problem is the part of a problem document tests look at.
type Problem struct {
	Type    string              `json:"type"`
	Title   string              `json:"title"`
	Status  int                 `json:"status"`
	Detail  string              `json:"detail"`
	Code    string              `json:"code"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// Problem checks that the response is problem+json with status want and
// returns it.
func (r *Response) Problem(tb testing.TB, want int) Problem {
	tb.Helper()
	r.Expect(tb, want)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("content type %q, want application/problem+json; body: %s", ct, r.Body)
	}
	var p Problem
	r.JSON(tb, &p)
	if p.Status != want || p.Title == "" || p.Type == "" || p.Message == "" {
		tb.Fatalf("incomplete problem document: %s", r.Body)
	}
	return p
}

// Count returns the number of rows in a table of the server's database.
func (s *Server) Count(tb testing.TB, table string) int {
	tb.Helper()
	var n int
	if err := s.App.DB.Read().QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		tb.Fatalf("count %s: %v", table, err)
	}
	return n
}

// Itoa writes an integer id as text, as no-code tools send ids.
func Itoa(n int64) string { return strconv.FormatInt(n, 10) }
