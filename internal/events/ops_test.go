package events_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/app/apptest"
)

type view struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Timestamp   string         `json:"timestamp"`
	WorkspaceID int64          `json:"workspaceId"`
	Data        map[string]any `json:"data"`
}

type page struct {
	Events     []view `json:"events"`
	NextCursor string `json:"nextCursor"`
	HasMore    bool   `json:"hasMore"`
}

func makeUser(t *testing.T, tenant *apptest.Tenant, n int) string {
	t.Helper()
	var u struct {
		ID string `json:"id"`
	}
	tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": fmt.Sprintf("U%d", n), "email": fmt.Sprintf("u%d@example.com", n)}).
		Expect(t, http.StatusCreated).JSON(t, &u)
	return u.ID
}

func TestListEventsWithCursor(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant, other := s.Tenant(t), s.Tenant(t)
		var ids []string
		for i := range 5 {
			ids = append(ids, makeUser(t, tenant, i))
		}
		tenant.Call(t, http.MethodPatch, "/api/v1/users/"+ids[0], map[string]any{"name": "Renamed"}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/users/"+ids[1]+"/deactivate", nil).Expect(t, http.StatusOK)
		makeUser(t, other, 99)

		// Walk the log two at a time.
		var all []view
		cursor := ""
		for range 10 {
			var p page
			tenant.Call(t, http.MethodGet, "/api/v1/events?limit=2&after="+cursor, nil).Expect(t, http.StatusOK).JSON(t, &p)
			all = append(all, p.Events...)
			if p.NextCursor == "" {
				t.Fatal("no nextCursor")
			}
			cursor = p.NextCursor
			if !p.HasMore {
				break
			}
		}
		var types []string
		for _, e := range all {
			types = append(types, e.Type)
			if e.WorkspaceID != tenant.ID || !strings.HasPrefix(e.ID, "evt_") || e.Data["id"] == nil {
				t.Fatalf("event %+v", e)
			}
			if _, err := time.Parse(time.RFC3339, e.Timestamp); err != nil {
				t.Fatalf("timestamp %q", e.Timestamp)
			}
		}
		want := "user.created user.created user.created user.created user.created user.updated user.deactivated"
		if strings.Join(types, " ") != want {
			t.Fatalf("log %v, want %s", types, want)
		}
		if all[5].Data["name"] != "Renamed" {
			t.Fatalf("user.updated carries %v", all[5].Data)
		}
		// Polling at the end returns nothing and the same cursor.
		var p page
		tenant.Call(t, http.MethodGet, "/api/v1/events?after="+cursor, nil).Expect(t, http.StatusOK).JSON(t, &p)
		if len(p.Events) != 0 || p.NextCursor != cursor || p.HasMore {
			t.Fatalf("tail: %+v", p)
		}
		makeUser(t, tenant, 5)
		tenant.Call(t, http.MethodGet, "/api/v1/events?after="+cursor, nil).Expect(t, http.StatusOK).JSON(t, &p)
		if len(p.Events) != 1 || p.Events[0].Type != "user.created" {
			t.Fatalf("new event after the cursor: %+v", p)
		}

		// Type filters: exact, several, and resource.*.
		for q, n := range map[string]int{"user.created": 6, "user.updated,user.deactivated": 2, "user.*": 8, "group.created": 0} {
			p = page{}
			tenant.Call(t, http.MethodGet, "/api/v1/events?limit=100&type="+q, nil).Expect(t, http.StatusOK).JSON(t, &p)
			if len(p.Events) != n {
				t.Fatalf("type=%s: %d events, want %d", q, len(p.Events), n)
			}
		}

		// One event; another workspace's key finds nothing.
		var one view
		tenant.Call(t, http.MethodGet, "/api/v1/events/"+all[0].ID, nil).Expect(t, http.StatusOK).JSON(t, &one)
		if one.ID != all[0].ID || one.Data["id"] != ids[0] {
			t.Fatalf("get: %+v", one)
		}
		other.Call(t, http.MethodGet, "/api/v1/events/"+all[0].ID, nil).Problem(t, http.StatusNotFound)
		p = page{}
		other.Call(t, http.MethodGet, "/api/v1/events?limit=100", nil).Expect(t, http.StatusOK).JSON(t, &p)
		if len(p.Events) != 1 || p.Events[0].WorkspaceID != other.ID {
			t.Fatalf("other workspace sees %+v", p.Events)
		}

		// Bad input names the field.
		for q, field := range map[string]string{"after=nope": "after", "type=bogus": "type", "type=user.created,Nope": "type", "limit=0": "limit", "limit=101": "limit"} {
			pr := tenant.Call(t, http.MethodGet, "/api/v1/events?"+q, nil).Problem(t, http.StatusUnprocessableEntity)
			if _, ok := pr.Errors[field]; !ok {
				t.Fatalf("%s: problem does not name %s: %+v", q, field, pr)
			}
		}
	})
}

// TestEventsNeedTheResourceScope: events.readonly lists only the events of
// resources the key may read.
func TestEventsNeedTheResourceScope(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		uid := makeUser(t, tenant, 1)
		rc := tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": "http://127.0.0.1:9/x", "eventTypes": []string{"group.*"}})
		rc.Expect(t, http.StatusCreated)

		eventsOnly := tenant.NewKey(t, access.EventsRead)
		withUsers := tenant.NewKey(t, access.EventsRead, access.UsersWrite)
		call := func(key, path string) *apptest.Response {
			return s.Do(t, apptest.Request{Method: http.MethodGet, Path: path, Key: key})
		}
		var p page
		call(eventsOnly, "/api/v1/events").Expect(t, http.StatusOK).JSON(t, &p)
		if len(p.Events) != 0 {
			t.Fatalf("events.readonly alone sees %+v", p.Events)
		}
		call(eventsOnly, "/api/v1/events?type=user.created").Problem(t, http.StatusForbidden)
		call(eventsOnly, "/api/v1/triggers/user.created").Problem(t, http.StatusForbidden)
		p = page{}
		call(withUsers, "/api/v1/events").Expect(t, http.StatusOK).JSON(t, &p)
		if len(p.Events) != 1 || p.Events[0].Type != "user.created" || p.Events[0].Data["id"] != uid {
			t.Fatalf("users key sees %+v (webhook_endpoint.created must be hidden)", p.Events)
		}
		// Attribute definitions are for users and groups: both scopes.
		call(withUsers, "/api/v1/events?type=attribute.updated").Problem(t, http.StatusForbidden)
		var list []view
		call(withUsers, "/api/v1/triggers/user.created").Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 1 {
			t.Fatalf("trigger: %+v", list)
		}
		// A key without events.readonly is refused before anything else.
		usersOnly := tenant.NewKey(t, access.UsersRead)
		call(usersOnly, "/api/v1/events").Problem(t, http.StatusForbidden)
	})
}

// TestPollingTriggers: newest first, unique ids, limit; Konstantly's last
// event answers the same object.
func TestPollingTriggers(t *testing.T) {
	var skew atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant, other := s.Tenant(t), s.Tenant(t)
		var list []view
		tenant.Call(t, http.MethodGet, "/api/v1/triggers/user.created", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if list == nil || len(list) != 0 {
			t.Fatalf("empty trigger must be [], got %v", list)
		}
		tenant.Call(t, http.MethodGet, "/api/v1/webhook/user.created/last", nil).Problem(t, http.StatusNotFound)
		tenant.Call(t, http.MethodGet, "/openapi/v1/webhook/user.created/last", nil).Problem(t, http.StatusNotFound)

		var ids []string
		for i := range 4 {
			ids = append(ids, makeUser(t, tenant, i))
		}
		tenant.Call(t, http.MethodGet, "/api/v1/triggers/user.created?limit=3", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 3 || list[0].Data["id"] != ids[3] || list[2].Data["id"] != ids[1] {
			t.Fatalf("trigger order: %+v", list)
		}
		seen := map[string]bool{}
		for _, e := range list {
			if seen[e.ID] {
				t.Fatalf("duplicate id %s", e.ID)
			}
			seen[e.ID] = true
		}
		var last struct {
			view
			OccuredAt int64          `json:"occuredAt"`
			Body      map[string]any `json:"body"`
		}
		tenant.Call(t, http.MethodGet, "/openapi/v1/webhook/user.created/last", nil).Expect(t, http.StatusOK).JSON(t, &last)
		if last.ID != list[0].ID || last.Type != "user.created" || last.OccuredAt == 0 || last.Body["id"] != ids[3] {
			t.Fatalf("last: %+v", last)
		}
		other.Call(t, http.MethodGet, "/api/v1/webhook/user.created/last", nil).Problem(t, http.StatusNotFound)
		var none []view
		other.Call(t, http.MethodGet, "/api/v1/triggers/user.created", nil).Expect(t, http.StatusOK).JSON(t, &none)
		if len(none) != 0 {
			t.Fatalf("other workspace sees %v", none)
		}
		for _, path := range []string{"/api/v1/triggers/bogus", "/api/v1/triggers/user.*", "/api/v1/webhook/Nope/last", "/api/v1/triggers/user.created?limit=500"} {
			p := tenant.Call(t, http.MethodGet, path, nil).Problem(t, http.StatusUnprocessableEntity)
			if len(p.Errors) == 0 {
				t.Fatalf("%s: no field named: %+v", path, p)
			}
		}
		// Konstantly looks back 30 days only.
		skew.Store(int64(31 * 24 * time.Hour))
		defer skew.Store(0)
		tenant.Call(t, http.MethodGet, "/api/v1/webhook/user.created/last", nil).Problem(t, http.StatusNotFound)
	}, func(c *app.Config) { c.Clock = clock })
}

func TestEventTypes(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var out struct {
			Types []struct {
				Type   string   `json:"type"`
				Scopes []string `json:"scopes"`
			} `json:"types"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/event-types", nil).Expect(t, http.StatusOK).JSON(t, &out)
		scopes := map[string]string{}
		for _, ty := range out.Types {
			scopes[ty.Type] = strings.Join(ty.Scopes, " ")
		}
		for typ, want := range map[string]string{"user.created": "users.readonly", "group.member_added": "groups.readonly",
			"enrollment.completed": "courses.readonly", "webhook_endpoint.disabled": "webhooks.readonly",
			"attribute.updated": "users.readonly groups.readonly"} {
			if scopes[typ] != want {
				t.Errorf("%s: scope %q, want %q", typ, scopes[typ], want)
			}
		}
	})
}
