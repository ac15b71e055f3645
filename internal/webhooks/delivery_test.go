package webhooks_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/webhooks"
)

// TestSignatureVerifiesWithTheStandardLibrary checks what a receiver sees
// with the Standard Webhooks reference library: the signature verifies
// (timestamp tolerance included), webhook-id is the event id, and the body
// is the envelope with the full resource. After a secret rotation, both the
// old and the new secret verify.
func TestSignatureVerifiesWithTheStandardLibrary(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, nil)
		ep := createEndpoint(t, tenant, rc.URL, "user.*")
		userID := createUser(t, tenant)
		waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.requests()) == 1 })
		req := rc.requests()[0]

		wh, err := standardwebhooks.NewWebhook(ep.Secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(req.body, req.header); err != nil {
			t.Fatalf("signature does not verify: %v\nheaders %v\nbody %s", err, req.header, req.body)
		}
		tampered := append([]byte(nil), req.body...)
		tampered[len(tampered)-2] ^= 1
		if wh.Verify(tampered, req.header) == nil {
			t.Fatal("a tampered body verifies")
		}
		var env struct {
			ID        string         `json:"id"`
			Type      string         `json:"type"`
			Timestamp string         `json:"timestamp"`
			Data      map[string]any `json:"data"`
		}
		if err := json.Unmarshal(req.body, &env); err != nil {
			t.Fatal(err)
		}
		if env.ID != req.header.Get("webhook-id") || !strings.HasPrefix(env.ID, "evt_") || strings.Contains(env.ID, ".") ||
			env.Type != "user.created" || env.Data["id"] != userID || env.Data["email"] == nil {
			t.Fatalf("envelope: %s", req.body)
		}
		if _, err := time.Parse(time.RFC3339, env.Timestamp); err != nil {
			t.Fatalf("timestamp %q: %v", env.Timestamp, err)
		}
		if ts, _ := strconv.ParseInt(req.header.Get("webhook-timestamp"), 10, 64); time.Since(time.Unix(ts, 0)).Abs() > time.Minute {
			t.Fatalf("webhook-timestamp %s", req.header.Get("webhook-timestamp"))
		}
		if req.header.Get("Content-Type") != "application/json" {
			t.Fatalf("content type %q", req.header.Get("Content-Type"))
		}
		// The event log holds the same event.
		var logged struct {
			ID   string         `json:"id"`
			Data map[string]any `json:"data"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/events/"+env.ID, nil).Expect(t, http.StatusOK).JSON(t, &logged)
		if logged.ID != env.ID || logged.Data["id"] != userID {
			t.Fatalf("event log: %+v", logged)
		}

		var rotated endpoint
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/rotate-secret", nil).Expect(t, http.StatusOK).JSON(t, &rotated)
		createUser(t, tenant)
		waitFor(t, 10*time.Second, "the second delivery", func() bool { return len(rc.requests()) == 2 })
		req = rc.requests()[1]
		if n := len(strings.Fields(req.header.Get("webhook-signature"))); n != 2 {
			t.Fatalf("%d signatures during rotation, want 2", n)
		}
		for _, secret := range []string{ep.Secret, rotated.Secret} {
			wh, _ := standardwebhooks.NewWebhook(secret)
			if err := wh.Verify(req.body, req.header); err != nil {
				t.Fatalf("signature with %s… does not verify: %v", secret[:10], err)
			}
		}
	})
}

// TestRESTHooks covers Zapier's subscribe/unsubscribe and that a REST hook
// receives the resource itself.
func TestRESTHooks(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant, other := s.Tenant(t), s.Tenant(t)
		rc := newReceiver(t, nil)
		var hooks []struct {
			ID      string `json:"id"`
			Event   string `json:"event"`
			HookURL string `json:"hookUrl"`
		}
		for _, field := range []string{"hookUrl", "target_url", "url"} {
			var h struct {
				ID      string `json:"id"`
				Event   string `json:"event"`
				HookURL string `json:"hookUrl"`
			}
			tenant.Call(t, http.MethodPost, "/api/v1/hooks", map[string]any{field: rc.URL + "/" + field, "event": "user.created"}).
				Expect(t, http.StatusCreated).JSON(t, &h)
			if h.ID == "" || h.Event != "user.created" || h.HookURL != rc.URL+"/"+field {
				t.Fatalf("subscribe with %s: %+v", field, h)
			}
			hooks = append(hooks, h)
		}
		p := tenant.Call(t, http.MethodPost, "/api/v1/hooks", map[string]any{"event": "user.created"}).Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["hookUrl"]; !ok {
			t.Fatalf("missing URL: %+v", p)
		}
		for _, ev := range []string{"user.*", "bogus", "user"} {
			p = tenant.Call(t, http.MethodPost, "/api/v1/hooks", map[string]any{"hookUrl": rc.URL, "event": ev}).Problem(t, http.StatusUnprocessableEntity)
			if _, ok := p.Errors["event"]; !ok {
				t.Fatalf("event %q: %+v", ev, p)
			}
		}

		userID := createUser(t, tenant)
		waitFor(t, 10*time.Second, "three hook deliveries", func() bool { return len(rc.requests()) == 3 })
		for _, req := range rc.requests() {
			var u map[string]any
			if err := json.Unmarshal(req.body, &u); err != nil {
				t.Fatal(err)
			}
			if u["id"] != userID || u["email"] == nil || u["data"] != nil || u["type"] != nil {
				t.Fatalf("REST hook payload is not the resource: %s", req.body)
			}
		}
		// Listed among the endpoints, as rest_hook.
		var page struct {
			Webhooks []endpoint `json:"webhooks"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if len(page.Webhooks) != 3 || page.Webhooks[0].Kind != "rest_hook" {
			t.Fatalf("hooks listed as %+v", page.Webhooks)
		}

		other.Call(t, http.MethodDelete, "/api/v1/hooks/"+hooks[0].ID, nil).Problem(t, http.StatusNotFound)
		tenant.Call(t, http.MethodDelete, "/api/v1/hooks/"+hooks[0].ID, nil).Expect(t, http.StatusNoContent)
		tenant.Call(t, http.MethodDelete, "/api/v1/hooks/"+hooks[0].ID, nil).Expect(t, http.StatusNoContent) // already gone
		tenant.Call(t, http.MethodDelete, "/api/v1/hooks/ep_doesnotexist", nil).Problem(t, http.StatusNotFound)
		createUser(t, tenant)
		waitFor(t, 10*time.Second, "two more hook deliveries", func() bool { return len(rc.requests()) == 5 })
		time.Sleep(200 * time.Millisecond)
		for _, req := range rc.requests()[3:] {
			if strings.Contains(req.header.Get("webhook-id"), "hookUrl") {
				t.Fatal("unsubscribed hook still receives")
			}
		}
		if n := len(rc.requests()); n != 5 {
			t.Fatalf("%d requests, want 5", n)
		}
	})
}

// TestFailuresAreClassified: 4xx other than 408/429 fail at once, without
// retries; 410 unsubscribes (a webhook endpoint is disabled, a REST hook
// deleted), each with an event; 408, 429 and 5xx are retried, 429 and 503
// no sooner than Retry-After.
func TestFailuresAreClassified(t *testing.T) {
	eachDialectWithClock(t, func(t *testing.T, s *apptest.Server, clk *clock) {
		tenant := s.Tenant(t)
		answer := func(status int, header http.Header, body string) *receiver {
			return newReceiver(t, func(*http.Request, int) (int, http.Header, string) { return status, header, body })
		}
		bad := answer(http.StatusUnprocessableEntity, nil, `{"error":"nope"}`)
		goneHook := answer(http.StatusGone, nil, "")
		goneEndpoint := answer(http.StatusGone, nil, "")
		timeout := answer(http.StatusRequestTimeout, nil, "")
		limited := answer(http.StatusTooManyRequests, http.Header{"Retry-After": {"3600"}}, "slow down")
		unavailable := answer(http.StatusServiceUnavailable, http.Header{"Retry-After": {clk.Now().Add(2 * time.Hour).UTC().Format(http.TimeFormat)}}, "")
		redirect := answer(http.StatusFound, http.Header{"Location": {"https://example.com/"}}, "")

		eps := map[string]endpoint{}
		for name, rc := range map[string]*receiver{"bad": bad, "goneEndpoint": goneEndpoint, "timeout": timeout,
			"limited": limited, "unavailable": unavailable, "redirect": redirect} {
			eps[name] = createEndpoint(t, tenant, rc.URL, "user.created")
		}
		var hook struct {
			ID string `json:"id"`
		}
		tenant.Call(t, http.MethodPost, "/api/v1/hooks", map[string]any{"hookUrl": goneHook.URL, "event": "user.created"}).
			Expect(t, http.StatusCreated).JSON(t, &hook)
		at := clk.Now()
		createUser(t, tenant)

		settled := func(id string) delivery {
			var d delivery
			waitFor(t, 10*time.Second, "delivery to "+id, func() bool {
				ds := deliveries(t, tenant, id)
				if len(ds) != 1 || ds[0].AttemptCount != 1 {
					return false
				}
				d = ds[0]
				return true
			})
			return d
		}
		d := settled(eps["bad"].ID)
		if d.State != webhooks.StateFailed || *d.StatusCode != 422 || d.ResponseExcerpt != `{"error":"nope"}` || d.NextAttemptAt != nil {
			t.Fatalf("422: %+v", d)
		}
		d = settled(eps["goneEndpoint"].ID)
		if d.State != webhooks.StateFailed || *d.StatusCode != 410 {
			t.Fatalf("410: %+v", d)
		}
		var e endpoint
		waitFor(t, 5*time.Second, "the 410 endpoint to be disabled", func() bool {
			e = endpoint{}
			tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+eps["goneEndpoint"].ID, nil).Expect(t, http.StatusOK).JSON(t, &e)
			return e.Status == webhooks.StatusDisabled
		})
		if !strings.Contains(e.DisabledReason, "410") {
			t.Fatalf("410 reason %q", e.DisabledReason)
		}
		waitFor(t, 5*time.Second, "the 410 hook to be unsubscribed", func() bool {
			return tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+hook.ID, nil).Status == http.StatusNotFound
		})
		tenant.Call(t, http.MethodDelete, "/api/v1/hooks/"+hook.ID, nil).Expect(t, http.StatusNoContent)
		var evs struct {
			Events []struct {
				Type string         `json:"type"`
				Data map[string]any `json:"data"`
			} `json:"events"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/events?type=webhook_endpoint.disabled,webhook_endpoint.deleted", nil).
			Expect(t, http.StatusOK).JSON(t, &evs)
		seen := map[string]string{}
		for _, ev := range evs.Events {
			seen[ev.Data["id"].(string)] = ev.Type
		}
		if seen[eps["goneEndpoint"].ID] != "webhook_endpoint.disabled" || seen[hook.ID] != "webhook_endpoint.deleted" {
			t.Fatalf("410 events: %+v", evs.Events)
		}

		for name, min := range map[string]time.Duration{"timeout": 4500 * time.Millisecond, "redirect": 4500 * time.Millisecond,
			"limited": time.Hour, "unavailable": 2 * time.Hour} {
			d := settled(eps[name].ID)
			if d.State != webhooks.StatePending || d.NextAttemptAt == nil {
				t.Fatalf("%s not retried: %+v", name, d)
			}
			wait := time.Unix(*d.NextAttemptAt, 0).Sub(at.Truncate(time.Second))
			if wait < min-time.Second || wait > max(min, 6*time.Second)+2*time.Second {
				t.Fatalf("%s: next attempt in %s, want about %s", name, wait, min)
			}
		}
		if len(bad.requests()) != 1 || len(goneEndpoint.requests()) != 1 {
			t.Fatal("a permanent failure was retried")
		}
	})
}

// TestTestEventRetryAndReplay covers sending a test event, retrying a
// failed delivery by hand and replaying a time span.
func TestTestEventRetryAndReplay(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var mu sync.Mutex
		status := http.StatusBadRequest
		rc := newReceiver(t, func(*http.Request, int) (int, http.Header, string) {
			mu.Lock()
			defer mu.Unlock()
			return status, nil, ""
		})
		ep := createEndpoint(t, tenant, rc.URL, "user.created")

		var test delivery
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/test", nil).Expect(t, http.StatusAccepted).JSON(t, &test)
		if test.EventType != "webhook_endpoint.test" || test.State != "pending" {
			t.Fatalf("test delivery: %+v", test)
		}
		waitFor(t, 10*time.Second, "the test event", func() bool { return len(rc.requests()) == 1 })
		wh, _ := standardwebhooks.NewWebhook(ep.Secret)
		if err := wh.Verify(rc.requests()[0].body, rc.requests()[0].header); err != nil {
			t.Fatalf("test event signature: %v", err)
		}

		before := time.Now().Add(-time.Second)
		createUser(t, tenant)
		createUser(t, tenant)
		var failed delivery
		waitFor(t, 10*time.Second, "two failed deliveries", func() bool {
			n := 0
			for _, d := range deliveries(t, tenant, ep.ID) {
				if d.EventType == "user.created" && d.State == "failed" {
					n++
					failed = d
				}
			}
			return n == 2
		})
		p := tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/deliveries/dlv_nope/retry", nil).Problem(t, http.StatusNotFound)
		_ = p
		mu.Lock()
		status = http.StatusNoContent
		mu.Unlock()
		var retried delivery
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/deliveries/"+failed.ID+"/retry", nil).
			Expect(t, http.StatusAccepted).JSON(t, &retried)
		if retried.ID != failed.ID || retried.State != "pending" {
			t.Fatalf("retried: %+v", retried)
		}
		waitFor(t, 10*time.Second, "the retry", func() bool {
			var d delivery
			tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+ep.ID+"/deliveries/"+failed.ID, nil).Expect(t, http.StatusOK).JSON(t, &d)
			if d.State != "succeeded" {
				return false
			}
			if d.AttemptCount != 2 || len(d.Attempts) != 2 || *d.Attempts[0].StatusCode != 400 || *d.Attempts[1].StatusCode != 204 {
				t.Fatalf("after retry: %+v", d)
			}
			return true
		})
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/deliveries/"+failed.ID+"/retry", nil).Expect(t, http.StatusAccepted)
		waitFor(t, 10*time.Second, "the resend", func() bool { return len(rc.requests()) == 5 })

		// Replaying only failed events sends the one never delivered; all
		// of them, both.
		var res struct {
			Queued       int  `json:"queued"`
			LimitReached bool `json:"limitReached"`
		}
		since := before.UTC().Format(time.RFC3339Nano)
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/replay", map[string]any{"since": since, "onlyFailed": true}).
			Expect(t, http.StatusAccepted).JSON(t, &res)
		if res.Queued != 1 || res.LimitReached {
			t.Fatalf("replay failed only: %+v", res)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/replay", map[string]any{"since": since}).
			Expect(t, http.StatusAccepted).JSON(t, &res)
		if res.Queued != 2 {
			t.Fatalf("replay all: %+v", res)
		}
		waitFor(t, 10*time.Second, "replayed deliveries", func() bool { return len(rc.requests()) == 8 })
		ids := map[string]int{}
		for _, r := range rc.requests()[1:] {
			ids[r.header.Get("webhook-id")]++
		}
		if len(ids) != 2 {
			t.Fatalf("replays carry the events' ids: %v", ids)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/pause", nil).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/replay", map[string]any{"since": since}).Problem(t, http.StatusConflict)
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/replay",
			map[string]any{"since": time.Now().Add(-100 * 24 * time.Hour).Format(time.RFC3339)}).Problem(t, http.StatusUnprocessableEntity)
	})
}

// TestReceiverDownThenUp: a receiver that fails for a while and then
// recovers gets every event exactly once per delivery (one successful
// request per webhook-id and endpoint), however many attempts it took.
func TestReceiverDownThenUp(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var mu sync.Mutex
		down := true
		accepted := map[string]int{} // endpoint path + webhook-id → 2xx answers
		handler := func(r *http.Request, _ int) (int, http.Header, string) {
			mu.Lock()
			defer mu.Unlock()
			if down {
				return http.StatusServiceUnavailable, nil, "maintenance"
			}
			accepted[r.URL.Path+" "+r.Header.Get("webhook-id")]++
			return http.StatusOK, nil, ""
		}
		rc := newReceiver(t, handler)
		a := createEndpoint(t, tenant, rc.URL+"/a", "user.*")
		b := createEndpoint(t, tenant, rc.URL+"/b", "user.created")
		const n = 40
		for range n {
			createUser(t, tenant)
		}
		waitFor(t, 15*time.Second, "every first attempt to fail", func() bool {
			for _, id := range []string{a.ID, b.ID} {
				for _, d := range deliveries(t, tenant, id) {
					if d.AttemptCount < 1 {
						return false
					}
				}
			}
			return true
		})
		time.Sleep(300 * time.Millisecond) // some second attempts fail too
		mu.Lock()
		down = false
		mu.Unlock()
		waitFor(t, 30*time.Second, "every delivery to succeed", func() bool {
			for _, id := range []string{a.ID, b.ID} {
				ds := deliveries(t, tenant, id)
				if len(ds) != n {
					return false
				}
				for _, d := range ds {
					if d.State != "succeeded" {
						return false
					}
				}
			}
			return true
		})
		time.Sleep(500 * time.Millisecond) // nothing more may arrive
		mu.Lock()
		defer mu.Unlock()
		if len(accepted) != 2*n {
			t.Fatalf("%d distinct deliveries accepted, want %d", len(accepted), 2*n)
		}
		for k, c := range accepted {
			if c != 1 {
				t.Fatalf("%s accepted %d times", k, c)
			}
		}
	}, withWebhooks(func(o *webhooks.Options) {
		o.Schedule = []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond,
			800 * time.Millisecond, time.Second, time.Second, time.Second, time.Second, time.Second}
	}))
}

// TestSlowReceiverDoesNotDelayOthers: while one receiver holds every
// request open, another keeps getting its events promptly.
func TestSlowReceiverDoesNotDelayOthers(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		release := make(chan struct{})
		var once sync.Once
		t.Cleanup(func() { once.Do(func() { close(release) }) })
		slow := newReceiver(t, func(r *http.Request, _ int) (int, http.Header, string) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return http.StatusOK, nil, ""
		})
		fast := newReceiver(t, nil)
		createEndpoint(t, tenant, slow.URL, "user.created")
		createEndpoint(t, tenant, fast.URL, "user.created")
		const n = 60
		start := time.Now()
		for range n {
			createUser(t, tenant)
		}
		waitFor(t, 10*time.Second, "the fast receiver to get every event", func() bool { return len(fast.requests()) == n })
		elapsed := time.Since(start)
		if got := len(slow.requests()); got == 0 || got > 8 {
			t.Fatalf("slow receiver holds %d requests, want 1–8 (the per-endpoint cap)", got)
		}
		t.Logf("fast receiver got %d events in %s while the slow one held %d requests", n, elapsed, len(slow.requests()))
		once.Do(func() { close(release) })
		// Released, the slow receiver gets its backlog too (snoozed, not
		// dropped).
		waitFor(t, 30*time.Second, "the slow receiver's backlog", func() bool {
			ids := map[string]bool{}
			for _, r := range slow.requests() {
				ids[r.header.Get("webhook-id")] = true
			}
			return len(ids) == n
		})
	}, withWebhooks(func(o *webhooks.Options) { o.Timeout = 20 * time.Second }))
}

// TestBulkWriteDeliversEveryEvent: a bulk operation records many events in
// one transaction; each reaches each subscribed endpoint once.
func TestBulkWriteDeliversEveryEvent(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, nil)
		createEndpoint(t, tenant, rc.URL+"/a", "user.created")
		createEndpoint(t, tenant, rc.URL+"/b", "user.*")
		createEndpoint(t, tenant, rc.URL+"/c", "group.created")
		users := make([]map[string]any, 50)
		for i := range users {
			users[i] = map[string]any{"name": fmt.Sprintf("Bulk %d", i), "email": fmt.Sprintf("bulk%d@example.com", i)}
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": users}).Expect(t, http.StatusOK)
		waitFor(t, 15*time.Second, "100 deliveries", func() bool { return len(rc.requests()) >= 100 })
		time.Sleep(200 * time.Millisecond)
		seen := map[string]int{}
		for _, r := range rc.requests() {
			seen[r.header.Get("webhook-id")]++
		}
		if n := len(rc.requests()); n != 100 {
			t.Fatalf("%d requests, want 100 (50 events × 2 endpoints)", n)
		}
		for k, c := range seen {
			if c != 2 {
				t.Fatalf("%s arrived %d times, want twice (once per endpoint)", k, c)
			}
		}
	})
}
