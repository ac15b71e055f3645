package webhooks_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/app/apptest"
)

func TestEndpointLifecycle(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, nil)
		var created endpoint
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{
			"url": rc.URL + "/hook?token=abc", "eventTypes": []string{"user.created", "user.*", "user.created"}, "description": "CRM sync",
		}).Expect(t, http.StatusCreated).JSON(t, &created)
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(created.Secret, "whsec_"))
		if !strings.HasPrefix(created.Secret, "whsec_") || err != nil || len(key) != 32 {
			t.Fatalf("secret %q: want whsec_ + base64 of 32 bytes", created.Secret)
		}
		if !strings.HasPrefix(created.ID, "ep_") || created.Kind != "webhook" || created.Status != "active" ||
			created.Description != "CRM sync" || strings.Join(created.EventTypes, ",") != "user.created,user.*" {
			t.Fatalf("created: %+v", created)
		}

		// The secret is shown once, and stored encrypted.
		got := tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+created.ID, nil).Expect(t, http.StatusOK)
		if strings.Contains(string(got.Body), "secret") {
			t.Fatalf("get shows the secret: %s", got.Body)
		}
		var stored string
		if err := s.App.DB.Read().QueryRowContext(context.Background(),
			`SELECT secret_enc FROM webhook_endpoints WHERE public_id = $1`, created.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		b64 := strings.TrimPrefix(created.Secret, "whsec_")
		if strings.Contains(stored, b64) || strings.Contains(stored, string(key)) || !strings.HasPrefix(stored, "v1:") {
			t.Fatalf("secret stored in plain text: %q", stored)
		}

		var page struct {
			Webhooks   []endpoint `json:"webhooks"`
			TotalCount int        `json:"totalCount"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 1 || len(page.Webhooks) != 1 || page.Webhooks[0].ID != created.ID {
			t.Fatalf("list: %+v", page)
		}

		var upd endpoint
		tenant.Call(t, http.MethodPatch, "/api/v1/webhooks/"+created.ID, map[string]any{
			"eventTypes": []string{"group.created"}, "description": "",
		}).Expect(t, http.StatusOK).JSON(t, &upd)
		if strings.Join(upd.EventTypes, ",") != "group.created" || upd.Description != "" || upd.URL != created.URL {
			t.Fatalf("updated: %+v", upd)
		}
		upd = endpoint{}
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+created.ID+"/pause", nil).Expect(t, http.StatusOK).JSON(t, &upd)
		if upd.Status != "paused" {
			t.Fatalf("paused: %+v", upd)
		}
		upd = endpoint{}
		tenant.Call(t, http.MethodPatch, "/api/v1/webhooks/"+created.ID, map[string]any{"status": "active"}).
			Expect(t, http.StatusOK).JSON(t, &upd)
		if upd.Status != "active" {
			t.Fatalf("resumed: %+v", upd)
		}

		var rotated endpoint
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+created.ID+"/rotate-secret", nil).Expect(t, http.StatusOK).JSON(t, &rotated)
		if !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == created.Secret {
			t.Fatalf("rotated secret %q", rotated.Secret)
		}

		// Every change is an event.
		var events struct {
			Events []struct {
				Type string `json:"type"`
			} `json:"events"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/events?type=webhook_endpoint.*", nil).Expect(t, http.StatusOK).JSON(t, &events)
		var types []string
		for _, e := range events.Events {
			types = append(types, e.Type)
		}
		want := "webhook_endpoint.created webhook_endpoint.updated webhook_endpoint.updated webhook_endpoint.updated webhook_endpoint.updated"
		if strings.Join(types, " ") != want {
			t.Fatalf("events %v, want %s", types, want)
		}

		tenant.Call(t, http.MethodDelete, "/api/v1/webhooks/"+created.ID, nil).Expect(t, http.StatusNoContent)
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+created.ID, nil).Problem(t, http.StatusNotFound)
		tenant.Call(t, http.MethodDelete, "/api/v1/webhooks/"+created.ID, nil).Problem(t, http.StatusNotFound)
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 0 || len(page.Webhooks) != 0 {
			t.Fatalf("deleted endpoint listed: %+v", page)
		}
		var secret string
		_ = s.App.DB.Read().QueryRowContext(context.Background(), `SELECT secret_enc FROM webhook_endpoints WHERE public_id = $1`, created.ID).Scan(&secret)
		if secret != "" {
			t.Fatalf("deleted endpoint keeps its secret")
		}
	})
}

func TestEndpointValidation(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, nil)
		cases := []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"no url", map[string]any{"eventTypes": []string{"user.created"}}, 422, "url"},
			{"ftp url", map[string]any{"url": "ftp://example.com/x", "eventTypes": []string{"user.created"}}, 422, "url"},
			{"relative url", map[string]any{"url": "/hooks", "eventTypes": []string{"user.created"}}, 422, "url"},
			{"credentials in url", map[string]any{"url": "https://u:p@example.com/", "eventTypes": []string{"user.created"}}, 422, "url"},
			{"no event types", map[string]any{"url": rc.URL, "eventTypes": []string{}}, 422, "eventTypes"},
			{"unknown resource", map[string]any{"url": rc.URL, "eventTypes": []string{"spaceship.launched"}}, 422, "eventTypes[0]"},
			{"malformed type", map[string]any{"url": rc.URL, "eventTypes": []string{"user.created", "User Created"}}, 422, "eventTypes[1]"},
			{"long description", map[string]any{"url": rc.URL, "eventTypes": []string{"user.created"}, "description": strings.Repeat("x", 501)}, 422, "description"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := tenant.Call(t, http.MethodPost, "/api/v1/webhooks", c.body).Problem(t, c.status)
				if _, ok := p.Errors[c.field]; !ok {
					t.Fatalf("problem does not name %s: %+v", c.field, p)
				}
			})
		}
		ep := createEndpoint(t, tenant, rc.URL, "user.created")
		for _, c := range []struct {
			body  any
			field string
		}{
			{map[string]any{"url": "gopher://x"}, "url"},
			{map[string]any{"eventTypes": []string{"nope"}}, "eventTypes[0]"},
			{map[string]any{"status": "disabled"}, "status"},
		} {
			p := tenant.Call(t, http.MethodPatch, "/api/v1/webhooks/"+ep.ID, c.body).Problem(t, http.StatusUnprocessableEntity)
			if _, ok := p.Errors[c.field]; !ok {
				t.Fatalf("update problem does not name %s: %+v", c.field, p)
			}
		}
		p := tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/replay", map[string]any{"since": "yesterday"}).
			Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["since"]; !ok {
			t.Fatalf("replay problem does not name since: %+v", p)
		}
		p = tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+ep.ID+"/deliveries?state=lost", nil).Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["state"]; !ok {
			t.Fatalf("deliveries problem does not name state: %+v", p)
		}
	})
}

// TestPrivateTargetsRefusedByDefault: with the default setting, loopback
// and private URLs are refused when the endpoint is created (literals and
// local names; other names at connect time, see internal/outbound).
func TestPrivateTargetsRefusedByDefault(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, u := range []string{"http://127.0.0.1:9/x", "http://localhost:8080/", "http://10.1.2.3/", "http://[::1]/",
			"http://169.254.169.254/latest/meta-data", "http://[::ffff:192.168.0.1]/", "http://printer.local/"} {
			p := tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": u, "eventTypes": []string{"user.created"}}).
				Problem(t, http.StatusUnprocessableEntity)
			if !strings.Contains(strings.Join(p.Errors["url"], " "), "private targets are not allowed") {
				t.Fatalf("%s: %+v", u, p)
			}
			p = tenant.Call(t, http.MethodPost, "/api/v1/hooks", map[string]any{"hookUrl": u, "event": "user.created"}).
				Problem(t, http.StatusUnprocessableEntity)
			if _, ok := p.Errors["hookUrl"]; !ok {
				t.Fatalf("hook %s: %+v", u, p)
			}
		}
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "https://example.com/hooks", "eventTypes": []string{"user.created"}}).
			Expect(t, http.StatusCreated)
	}, func(c *app.Config) { c.AllowPrivateTargets = false })
}

// TestSubscriptionNeedsTheResourceScope: a key cannot subscribe to events
// it could not read.
func TestSubscriptionNeedsTheResourceScope(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, nil)
		key := tenant.NewKey(t, access.WebhooksWrite, access.GroupsRead)
		call := func(method, path string, body any) *apptest.Response {
			return s.Do(t, apptest.Request{Method: method, Path: path, Key: key, Body: body})
		}
		for _, types := range [][]string{{"user.created"}, {"group.created", "user.*"}, {"*"}} {
			p := call(http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rc.URL, "eventTypes": types}).Problem(t, http.StatusForbidden)
			if p.Code != "insufficient_scope" {
				t.Fatalf("%v: %+v", types, p)
			}
		}
		p := call(http.MethodPost, "/api/v1/hooks", map[string]any{"hookUrl": rc.URL, "event": "user.created"}).Problem(t, http.StatusForbidden)
		if !strings.Contains(p.Detail, "users.readonly") {
			t.Fatalf("hook: %+v", p)
		}
		call(http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rc.URL, "eventTypes": []string{"group.*"}}).Expect(t, http.StatusCreated)
		call(http.MethodPost, "/api/v1/hooks", map[string]any{"hookUrl": rc.URL, "event": "group.created"}).Expect(t, http.StatusCreated)
		ep := createEndpoint(t, tenant, rc.URL, "group.created")
		call(http.MethodPatch, "/api/v1/webhooks/"+ep.ID, map[string]any{"eventTypes": []string{"user.deleted"}}).Problem(t, http.StatusForbidden)
	})
}

// TestOtherWorkspaceSeesNothing: every route addressing an endpoint or a
// delivery answers 404 to another workspace's key.
func TestOtherWorkspaceSeesNothing(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		owner, other := s.Tenant(t), s.Tenant(t)
		rc := newReceiver(t, nil)
		ep := createEndpoint(t, owner, rc.URL, "user.created")
		createUser(t, owner)
		var ds []delivery
		waitFor(t, 10*time.Second, "a delivery", func() bool {
			ds = deliveries(t, owner, ep.ID)
			return len(ds) == 1 && ds[0].State == "succeeded"
		})
		var hook struct {
			ID string `json:"id"`
		}
		owner.Call(t, http.MethodPost, "/api/v1/hooks", map[string]any{"hookUrl": rc.URL, "event": "user.created"}).
			Expect(t, http.StatusCreated).JSON(t, &hook)
		base := "/api/v1/webhooks/" + ep.ID
		routes := []struct{ method, path string }{
			{http.MethodGet, base},
			{http.MethodPatch, base},
			{http.MethodDelete, base},
			{http.MethodPost, base + "/pause"},
			{http.MethodPost, base + "/resume"},
			{http.MethodPost, base + "/rotate-secret"},
			{http.MethodPost, base + "/test"},
			{http.MethodGet, base + "/deliveries"},
			{http.MethodGet, base + "/deliveries/" + ds[0].ID},
			{http.MethodPost, base + "/deliveries/" + ds[0].ID + "/retry"},
			{http.MethodPost, base + "/replay"},
			{http.MethodDelete, "/api/v1/hooks/" + hook.ID},
		}
		for _, r := range routes {
			var body any
			switch {
			case r.method == http.MethodPatch:
				body = map[string]any{"description": "mine now"}
			case strings.HasSuffix(r.path, "/replay"):
				body = map[string]any{"since": time.Now().Add(-time.Hour).Format(time.RFC3339)}
			}
			other.Call(t, r.method, r.path, body).Problem(t, http.StatusNotFound)
		}
		// A delivery of one endpoint is not found under another.
		ep2 := createEndpoint(t, owner, rc.URL, "group.created")
		owner.Call(t, http.MethodGet, "/api/v1/webhooks/"+ep2.ID+"/deliveries/"+ds[0].ID, nil).Problem(t, http.StatusNotFound)
		owner.Call(t, http.MethodGet, base, nil).Expect(t, http.StatusOK)
	})
}

// TestBadParametersNameTheField: path and query parameters out of bounds
// are refused with 422 naming them, on every route that takes one.
func TestBadParametersNameTheField(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, nil)
		ep := createEndpoint(t, tenant, rc.URL, "user.created")
		long := strings.Repeat("x", 65)
		base := "/api/v1/webhooks/" + ep.ID
		cases := []struct {
			method, path, field string
			body                any
		}{
			{http.MethodGet, "/api/v1/webhooks?limit=0", "limit", nil},
			{http.MethodGet, "/api/v1/webhooks?offset=-1", "offset", nil},
			{http.MethodGet, "/api/v1/webhooks/" + long, "id", nil},
			{http.MethodPatch, "/api/v1/webhooks/" + long, "id", map[string]any{}},
			{http.MethodDelete, "/api/v1/webhooks/" + long, "id", nil},
			{http.MethodPost, "/api/v1/webhooks/" + long + "/pause", "id", nil},
			{http.MethodPost, "/api/v1/webhooks/" + long + "/resume", "id", nil},
			{http.MethodPost, "/api/v1/webhooks/" + long + "/rotate-secret", "id", nil},
			{http.MethodPost, "/api/v1/webhooks/" + long + "/test", "id", nil},
			{http.MethodGet, base + "/deliveries?limit=101", "limit", nil},
			{http.MethodGet, base + "/deliveries/" + long, "deliveryId", nil},
			{http.MethodPost, base + "/deliveries/" + long + "/retry", "deliveryId", nil},
			{http.MethodPost, base + "/replay", "since", map[string]any{}},
			{http.MethodPost, base + "/replay", "until", map[string]any{"since": time.Now().Add(-time.Hour).Format(time.RFC3339),
				"until": time.Now().Add(-2 * time.Hour).Format(time.RFC3339)}},
			{http.MethodDelete, "/api/v1/hooks/" + long, "id", nil},
			{http.MethodPost, "/api/v1/hooks", "event", map[string]any{"hookUrl": rc.URL}},
		}
		for _, c := range cases {
			p := tenant.Call(t, c.method, c.path, c.body).Problem(t, http.StatusUnprocessableEntity)
			if _, ok := p.Errors[c.field]; !ok {
				t.Errorf("%s %s: problem does not name %s: %+v", c.method, c.path, c.field, p)
			}
		}
	})
}

// TestRetryOfAPendingDeliveryConflicts: a delivery waiting for its next
// attempt is already being retried.
func TestRetryOfAPendingDeliveryConflicts(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		rc := newReceiver(t, func(*http.Request, int) (int, http.Header, string) { return http.StatusBadGateway, nil, "" })
		ep := createEndpoint(t, tenant, rc.URL, "user.created")
		createUser(t, tenant)
		var d delivery
		waitFor(t, 10*time.Second, "a failed attempt", func() bool {
			ds := deliveries(t, tenant, ep.ID)
			if len(ds) == 1 && ds[0].AttemptCount == 1 {
				d = ds[0]
				return true
			}
			return false
		})
		p := tenant.Call(t, http.MethodPost, "/api/v1/webhooks/"+ep.ID+"/deliveries/"+d.ID+"/retry", nil).Problem(t, http.StatusConflict)
		if p.Code != "delivery_pending" {
			t.Fatalf("%+v", p)
		}
	})
}
