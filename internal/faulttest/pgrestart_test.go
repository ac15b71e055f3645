package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/db"
)

// TestPostgresCrashUnderLoad crashes PostgreSQL (immediate shutdown, crash
// recovery on start) while roster serves user creates with a webhook
// endpoint subscribed, starts it again, and checks that roster recovers
// without a restart of its own: creates succeed again, every acknowledged
// create exists with exactly one event, and every event reaches the
// receiver.
func TestPostgresCrashUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: runs a private PostgreSQL server and crashes it")
	}
	cluster := newPGCluster(t)
	rec := newDeliveryRecorder()
	defer rec.Close()

	env := []string{"ROSTER_DATABASE_URL=" + cluster.URL(), "ROSTER_RATE_LIMIT=0", "ROSTER_ALLOW_PRIVATE_TARGETS=true",
		"ROSTER_JOB_RESCUE_AFTER=5s", "ROSTER_SECRET_KEY=pg-restart-test-secret-key-of-32-chars-or-more"}
	srv := startServer(t, env...)
	if srv.Key == "" {
		t.Fatalf("no admin key printed:\n%s", srv.stderr)
	}
	postJSON(t, srv, "/api/v1/webhooks", map[string]any{"url": rec.URL, "eventTypes": []string{"user.created"}}, http.StatusCreated)

	load := startCreateLoad(srv, 8)
	time.Sleep(1500 * time.Millisecond)
	before := load.acked()
	cluster.crash(t)
	crashed := time.Now()
	time.Sleep(2 * time.Second)
	cluster.start(t)
	restarted := time.Now()
	// Roster must come back by itself: its pools drop dead connections and
	// its job workers keep polling.
	recovered := waitFor(30*time.Second, func() bool { return load.acked() >= before+200 })
	recoveredAfter := time.Since(restarted)
	load.stop()
	if !recovered {
		t.Fatalf("roster did not recover within 30 s of PostgreSQL's restart: %d creates acknowledged before the crash, %d in all; status codes %v\n%s",
			before, load.acked(), load.statuses(), srv.stderr)
	}
	if srv.cmd.ProcessState != nil {
		t.Fatalf("roster exited when PostgreSQL crashed:\n%s", srv.stderr)
	}
	// While the database is away a client is told to retry (503 with
	// Retry-After), never handed a 500 or a dropped connection.
	for code, n := range load.statuses() {
		if code != http.StatusCreated && code != http.StatusServiceUnavailable {
			t.Errorf("%d responses with status %d during the outage (0: no response)", n, code)
		}
	}
	if n := load.withoutRetryAfter.Load(); n > 0 {
		t.Errorf("%d 503 responses without Retry-After", n)
	}

	ids := load.ids()
	undelivered := 0
	waitFor(90*time.Second, func() bool {
		undelivered = rec.missing(ids)
		return undelivered == 0
	})
	if undelivered > 0 {
		t.Fatalf("%d of %d acknowledged users never delivered to the webhook receiver", undelivered, len(ids))
	}
	for _, id := range ids {
		if code := get(t, srv.URL+"/api/v1/users/"+id, srv.Key); code != http.StatusOK {
			t.Fatalf("acknowledged user %s: GET answered %d after the restart", id, code)
		}
	}
	d, err := db.Open(t.Context(), db.Options{URL: cluster.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var users, created int
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users`).Scan(&users)
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM events WHERE type = 'user.created'`).Scan(&created)
	if users != created || users < len(ids) {
		t.Fatalf("%d users, %d user.created events, %d acknowledged: a write was torn", users, created, len(ids))
	}
	distinct, dup := rec.counts()
	if distinct < users {
		t.Fatalf("%d distinct webhook-ids delivered for %d users", distinct, users)
	}
	t.Logf("PostgreSQL crashed after %d acknowledged creates and was down %s; roster served again %s after its restart; %d creates acknowledged in all (status codes %v), %d users, every one delivered (%d webhook-ids twice, at-least-once)",
		before, restarted.Sub(crashed).Round(100*time.Millisecond), recoveredAfter.Round(100*time.Millisecond), len(ids), load.statuses(), users, dup)
	srv.stop(t)
}

// deliveryRecorder is a loopback webhook receiver that counts arrivals by
// webhook-id and remembers which users it heard of.
type deliveryRecorder struct {
	*httptest.Server
	mu       sync.Mutex
	arrivals map[string]int
	users    map[string]bool
}

func newDeliveryRecorder() *deliveryRecorder {
	r := &deliveryRecorder{arrivals: map[string]int{}, users: map[string]bool{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct{ Data struct{ ID string } }
		_ = json.Unmarshal(body, &ev)
		r.mu.Lock()
		r.arrivals[req.Header.Get("webhook-id")]++
		r.users[ev.Data.ID] = true
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	return r
}

func (r *deliveryRecorder) missing(userIDs []string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, id := range userIDs {
		if !r.users[id] {
			n++
		}
	}
	return n
}

// counts returns the distinct webhook-ids received and how many came more
// than once.
func (r *deliveryRecorder) counts() (distinct, repeated int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.arrivals {
		if c > 1 {
			repeated++
		}
	}
	return len(r.arrivals), repeated
}

// createLoad posts new users from several clients until stopped, keeping
// the ids of acknowledged (201) creates.
type createLoad struct {
	srv    *server
	done   chan struct{}
	wg     sync.WaitGroup
	n      atomic.Int64
	mu     sync.Mutex
	acks   []string
	status map[int]int // response status → count; 0 for transport errors

	withoutRetryAfter atomic.Int64 // 503s that do not say when to retry
}

func startCreateLoad(srv *server, clients int) *createLoad {
	l := &createLoad{srv: srv, done: make(chan struct{}), status: map[int]int{}}
	client := &http.Client{Timeout: 10 * time.Second}
	for w := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.done:
					return
				default:
				}
				raw, _ := json.Marshal(map[string]any{"name": "Load", "email": fmt.Sprintf("pg%d-%d@example.com", w, i)})
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/users", bytes.NewReader(raw))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-KEY", srv.Key)
				resp, err := client.Do(req)
				code := 0
				var u struct{ ID string }
				if err == nil {
					code = resp.StatusCode
					if code == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") == "" {
						l.withoutRetryAfter.Add(1)
					}
					_ = json.NewDecoder(resp.Body).Decode(&u)
					resp.Body.Close()
				}
				l.mu.Lock()
				l.status[code]++
				if code == http.StatusCreated {
					l.acks = append(l.acks, u.ID)
					l.n.Add(1)
				}
				l.mu.Unlock()
				if code != http.StatusCreated {
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

func (l *createLoad) acked() int64 { return l.n.Load() }

func (l *createLoad) stop() {
	close(l.done)
	l.wg.Wait()
}

func (l *createLoad) ids() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.acks...)
}

func (l *createLoad) statuses() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[int]int, len(l.status))
	for k, v := range l.status {
		out[k] = v
	}
	return out
}

func postJSON(t *testing.T, srv *server, path string, body any, want int) []byte {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", path, resp.StatusCode, out)
	}
	return out
}
