package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

func init() {
	scenarios["webhooks.fanout"] = webhooksFanout
	scenarios["workflow.onboarding"] = workflowOnboarding
}

// receiver is a loopback HTTP server that records when each marked request
// arrives. The server under test must run with --allow-private-targets.
type receiver struct {
	url   string
	mu    sync.Mutex
	seen  map[string]time.Time // first arrival per key
	count atomic.Int64
	srv   *http.Server
	key   func(r *http.Request, body []byte) string
}

func startReceiver(key func(r *http.Request, body []byte) string) (*receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &receiver{url: "http://" + ln.Addr().String() + "/hook", seen: map[string]time.Time{}, key: key}
	rc.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		now := time.Now()
		k := rc.key(r, body)
		rc.mu.Lock()
		if _, dup := rc.seen[k]; !dup {
			rc.seen[k] = now
		}
		rc.mu.Unlock()
		rc.count.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go func() { _ = rc.srv.Serve(ln) }()
	return rc, nil
}

func (rc *receiver) arrived(k string) (time.Time, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	t, ok := rc.seen[k]
	return t, ok
}

// webhooksFanout subscribes 10 endpoints to user.created, creates users, and
// measures from each create's response to the arrival of its tenth delivery.
func webhooksFanout(ctx context.Context, cfg *config) (result, error) {
	const endpoints = 10
	rc, err := startReceiver(func(r *http.Request, body []byte) string {
		var ev struct{ Data struct{ Email string } }
		_ = json.Unmarshal(body, &ev)
		return ev.Data.Email + "|" + r.URL.Query().Get("ep")
	})
	if err != nil {
		return result{}, err
	}
	defer rc.srv.Close()
	var ids []string
	for i := 0; i < endpoints; i++ {
		body := fmt.Sprintf(`{"url":"%s?ep=%d","eventTypes":["user.created"],"description":"load %d"}`, rc.url, i, runID)
		data, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/webhooks", cfg.key, body, http.StatusCreated)
		if err != nil {
			return result{}, fmt.Errorf("create endpoint (is the server running with --allow-private-targets?): %w", err)
		}
		var ep struct{ ID string }
		_ = json.Unmarshal(data, &ep)
		ids = append(ids, ep.ID)
	}
	defer func() {
		for _, id := range ids {
			_, _ = do(context.Background(), cfg.client, http.MethodDelete, cfg.url+"/api/v1/webhooks/"+id, cfg.key, "", http.StatusNoContent)
		}
	}()
	n := cfg.count
	if n <= 0 {
		n = 500
	}
	var lat []time.Duration
	var mu sync.Mutex
	start := time.Now()
	createRes := runLoad(ctx, min(cfg.concurrency, 8), cfg.duration, n, func(ctx context.Context, i int64) error {
		email := fmt.Sprintf("fan-%d-%d@example.com", runID, i)
		if _, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/users", cfg.key,
			fmt.Sprintf(`{"name":"Fan %d","email":%q}`, i, email), http.StatusCreated); err != nil {
			return err
		}
		acked := time.Now()
		go func() {
			deadline := acked.Add(60 * time.Second)
			for time.Now().Before(deadline) {
				var last time.Time
				all := true
				for e := 0; e < endpoints; e++ {
					t, ok := rc.arrived(fmt.Sprintf("%s|%d", email, e))
					if !ok {
						all = false
						break
					}
					if t.After(last) {
						last = t
					}
				}
				if all {
					mu.Lock()
					lat = append(lat, max(last.Sub(acked), 0))
					mu.Unlock()
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
		return nil
	})
	want := createRes.Ops * endpoints
	deadline := time.Now().Add(60 * time.Second)
	for rc.count.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	elapsed := time.Since(start)
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	res := summarize(lat, createRes.Errors, elapsed, createRes.FirstError)
	res.Ops = rc.count.Load()
	res.Throughput = float64(rc.count.Load()) / elapsed.Seconds()
	res.Note = fmt.Sprintf("%d users × %d endpoints = %d deliveries expected, %d received; latency = create acknowledged → last of its %d deliveries",
		createRes.Ops, endpoints, want, rc.count.Load(), endpoints)
	return res, nil
}

// workflowOnboarding publishes an onboarding workflow (inbound webhook →
// find user → create user → ensure group → add to group), whose last step
// calls the receiver, and measures trigger → done.
func workflowOnboarding(ctx context.Context, cfg *config) (result, error) {
	rc, err := startReceiver(func(r *http.Request, body []byte) string { return r.URL.Query().Get("email") })
	if err != nil {
		return result{}, err
	}
	defer rc.srv.Close()
	def := map[string]any{
		"trigger": map[string]any{"type": "webhook"},
		"steps": []any{
			map[string]any{"id": "create_user", "op": "users.create", "input": map[string]any{"name": "{{ trigger.body.name }}", "email": "{{ trigger.body.email }}"}},
			map[string]any{"id": "department", "op": "groups.ensure", "input": map[string]any{"name": "{{ trigger.body.department }}"}},
			map[string]any{"id": "join", "op": "groups.add_users", "input": map[string]any{"id": "{{ steps.department.id }}", "users": []any{"{{ steps.create_user.id }}"}}},
			map[string]any{"id": "title", "op": "users.update", "input": map[string]any{"id": "{{ steps.create_user.id }}", "occupation": "New hire"}},
			map[string]any{"id": "done", "op": "http.request", "input": map[string]any{"url": rc.url + "?email={{ trigger.body.email }}", "method": "POST"}},
		},
	}
	body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("Onboarding load %d", runID), "definition": def})
	data, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/workflows", cfg.key, string(body), http.StatusCreated)
	if err != nil {
		return result{}, err
	}
	var wf struct {
		ID          int64
		WebhookPath string
	}
	_ = json.Unmarshal(data, &wf)
	if _, err := do(ctx, cfg.client, http.MethodPost, fmt.Sprintf("%s/api/v1/workflows/%d/publish", cfg.url, wf.ID), cfg.key, "", http.StatusOK); err != nil {
		return result{}, err
	}
	n := cfg.count
	if n <= 0 {
		n = 200
	}
	// Closed loop: each client waits for its run to finish before it starts
	// the next, so -c is the number of runs in flight and the latency is the
	// real trigger → done time at that load.
	res := runLoad(ctx, cfg.concurrency, cfg.duration, n, func(ctx context.Context, i int64) error {
		email := fmt.Sprintf("hire-%d-%d@example.com", runID, i)
		if _, err := do(ctx, cfg.client, http.MethodPost, cfg.url+wf.WebhookPath, "",
			fmt.Sprintf(`{"name":"Hire %d","email":%q,"department":"Dept %d"}`, i, email, i%5), http.StatusAccepted); err != nil {
			return err
		}
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
			if _, ok := rc.arrived(email); ok {
				return nil
			}
		}
		return fmt.Errorf("run for %s did not finish in 60 s", email)
	})
	out := res
	out.Note = "latency = inbound webhook sent → its fifth step done (closed loop: -c runs in flight)"
	return out, nil
}
