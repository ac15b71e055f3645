package faulttest

import (
	"net/http"
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

	load := startCreateLoad(srv.Key, 8, srv)
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
