package faulttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestTwoNodesOnePostgres runs two roster processes on one PostgreSQL
// database, writes through both, kills one with SIGKILL mid-load, and checks
// that the survivor finishes all the work: every acknowledged user gets its
// webhook delivery and its workflow run, runs are never doubled, and each
// delivery id arrives at least once (duplicates only from the killed node's
// in-flight work).
func TestTwoNodesOnePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds and kills the real binary")
	}
	if os.Getenv(dbtest.EnvPostgresDSN) == "" {
		t.Skipf("needs PostgreSQL: %s is not set", dbtest.EnvPostgresDSN)
	}
	rec := newDeliveryRecorder()
	defer rec.Close()

	dbURL := dbtest.URL(t, db.Postgres)
	env := []string{"ROSTER_DATABASE_URL=" + dbURL, "ROSTER_RATE_LIMIT=0", "ROSTER_ALLOW_PRIVATE_TARGETS=true", "ROSTER_JOB_RESCUE_AFTER=5s",
		"ROSTER_SECRET_KEY=multinode-test-secret-key-of-32-chars-or-more"}
	a := startServer(t, env...)
	b := startServer(t, env...)
	key := a.Key
	if key == "" || b.Key != "" {
		t.Fatalf("exactly the first node bootstraps: %q %q", a.Key, b.Key)
	}
	postJSON(t, a, "/api/v1/webhooks", map[string]any{"url": rec.URL, "eventTypes": []string{"user.created"}}, http.StatusCreated)
	var wf struct{ ID int64 }
	json.Unmarshal(postJSON(t, a, "/api/v1/workflows", map[string]any{"name": "tag new users", "definition": map[string]any{
		"trigger": map[string]any{"type": "event", "event": "user.created"},
		"steps": []any{map[string]any{"id": "tag", "op": "users.update", "input": map[string]any{
			"id": "{{ trigger.data.id }}", "occupation": "tagged"}}},
	}}, http.StatusCreated), &wf)
	postJSON(t, a, fmt.Sprintf("/api/v1/workflows/%d/publish", wf.ID), nil, http.StatusOK)

	load := startCreateLoad(key, 8, a, b)
	time.Sleep(1500 * time.Millisecond)
	a.kill()
	time.Sleep(1000 * time.Millisecond)
	load.stop()
	ids := load.ids()

	// The survivor delivers and runs everything, taking back the dead node's
	// jobs once they pass the rescue time.
	d, err := db.Open(t.Context(), db.Options{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var undelivered, untagged int
	waitFor(90*time.Second, func() bool {
		undelivered = rec.missing(ids)
		_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users WHERE occupation <> 'tagged'`).Scan(&untagged)
		return undelivered == 0 && untagged == 0
	})
	if undelivered > 0 || untagged > 0 {
		t.Fatalf("after the kill: %d of %d acknowledged users without a delivery, %d users not tagged by their workflow", undelivered, len(ids), untagged)
	}
	var users, runs, dupRuns int
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users`).Scan(&users)
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM workflow_runs`).Scan(&runs)
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM (SELECT trigger_data->>'id' FROM workflow_runs GROUP BY 1 HAVING count(*) > 1) AS x`).Scan(&dupRuns)
	if runs != users || dupRuns != 0 {
		t.Fatalf("%d users but %d workflow runs (%d events ran twice)", users, runs, dupRuns)
	}
	total, dup := rec.counts()
	if total < users {
		t.Fatalf("%d distinct deliveries for %d users", total, users)
	}
	t.Logf("%d creates acknowledged across two nodes, node A killed mid-load; node B delivered %d events (%d delivered twice, at-least-once) and ran %d workflows once each",
		len(ids), total, dup, runs)
}
