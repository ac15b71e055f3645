package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
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
	var mu sync.Mutex
	deliveries := map[string]int{} // webhook-id → arrivals
	userDelivered := map[string]bool{}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var ev struct{ Data struct{ ID string } }
		_ = json.Unmarshal(body, &ev)
		mu.Lock()
		deliveries[r.Header.Get("webhook-id")]++
		userDelivered[ev.Data.ID] = true
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	dbURL := dbtest.URL(t, db.Postgres)
	env := []string{"ROSTER_DATABASE_URL=" + dbURL, "ROSTER_RATE_LIMIT=0", "ROSTER_ALLOW_PRIVATE_TARGETS=true", "ROSTER_JOB_RESCUE_AFTER=5s",
		"ROSTER_SECRET_KEY=multinode-test-secret-key-of-32-chars-or-more"}
	a := startServer(t, env...)
	b := startServer(t, env...)
	key := a.Key
	if key == "" || b.Key != "" {
		t.Fatalf("exactly the first node bootstraps: %q %q", a.Key, b.Key)
	}
	post := func(base, path string, body any, want int) []byte {
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-KEY", key)
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
	post(a.URL, "/api/v1/webhooks", map[string]any{"url": receiver.URL, "eventTypes": []string{"user.created"}}, http.StatusCreated)
	var wf struct{ ID int64 }
	json.Unmarshal(post(a.URL, "/api/v1/workflows", map[string]any{"name": "tag new users", "definition": map[string]any{
		"trigger": map[string]any{"type": "event", "event": "user.created"},
		"steps": []any{map[string]any{"id": "tag", "op": "users.update", "input": map[string]any{
			"id": "{{ trigger.data.id }}", "occupation": "tagged"}}},
	}}, http.StatusCreated), &wf)
	post(a.URL, fmt.Sprintf("/api/v1/workflows/%d/publish", wf.ID), nil, http.StatusOK)

	var acked sync.Map
	var n atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				node := a
				if (w+i)%2 == 1 {
					node = b
				}
				raw, _ := json.Marshal(map[string]any{"name": "Node load", "email": fmt.Sprintf("n%d-%d@example.com", w, i)})
				req, _ := http.NewRequest(http.MethodPost, node.URL+"/api/v1/users", bytes.NewReader(raw))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-API-KEY", key)
				resp, err := client.Do(req)
				if err != nil {
					continue // node a is gone; the next request goes to b
				}
				var u struct{ ID string }
				_ = json.NewDecoder(resp.Body).Decode(&u)
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					acked.Store(u.ID, true)
					n.Add(1)
				}
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	a.kill()
	time.Sleep(1000 * time.Millisecond)
	close(stop)
	wg.Wait()

	// The survivor delivers and runs everything, taking back the dead node's
	// jobs once they pass the rescue time.
	d, err := db.Open(t.Context(), db.Options{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	deadline := time.Now().Add(90 * time.Second)
	var undelivered, untagged int
	for {
		undelivered, untagged = 0, 0
		acked.Range(func(k, _ any) bool {
			mu.Lock()
			if !userDelivered[k.(string)] {
				undelivered++
			}
			mu.Unlock()
			return true
		})
		_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users WHERE occupation <> 'tagged'`).Scan(&untagged)
		if (undelivered == 0 && untagged == 0) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if undelivered > 0 || untagged > 0 {
		t.Fatalf("after the kill: %d of %d acknowledged users without a delivery, %d users not tagged by their workflow", undelivered, n.Load(), untagged)
	}
	var users, runs, dupRuns int
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM users`).Scan(&users)
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM workflow_runs`).Scan(&runs)
	_ = d.Read().QueryRowContext(t.Context(), `SELECT count(*) FROM (SELECT trigger_data->>'id' FROM workflow_runs GROUP BY 1 HAVING count(*) > 1) AS x`).Scan(&dupRuns)
	if runs != users || dupRuns != 0 {
		t.Fatalf("%d users but %d workflow runs (%d events ran twice)", users, runs, dupRuns)
	}
	mu.Lock()
	dup := 0
	for _, c := range deliveries {
		if c > 1 {
			dup++
		}
	}
	total := len(deliveries)
	mu.Unlock()
	if total < users {
		t.Fatalf("%d distinct deliveries for %d users", total, users)
	}
	t.Logf("%d creates acknowledged across two nodes, node A killed mid-load; node B delivered %d events (%d delivered twice, at-least-once) and ran %d workflows once each",
		n.Load(), total, dup, runs)
}
