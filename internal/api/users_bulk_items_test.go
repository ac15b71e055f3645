package api_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// TestBulkCreateUsersItemShapes: items that users.create would refuse for
// their shape (a wrong type, an unknown field, not an object, a role that
// does not exist) get their own error naming the field; the items around
// them are created. Only the envelope's own problems refuse the call.
func TestBulkCreateUsersItemShapes(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		items := []any{
			map[string]any{"name": "A", "email": "a@example.com"},
			map[string]any{"name": 5, "email": "b@example.com"},
			map[string]any{"name": "C", "email": "c@example.com", "shoeSize": 42},
			"not a user",
			nil,
			map[string]any{"name": "F", "email": "f@example.com", "roleAlias": "boss"},
			map[string]any{"name": "G", "email": "g@example.com", "customAttributes": []any{1}},
			map[string]any{"name": "H", "email": "h@example.com"},
			map[string]any{"name": "I\x00", "email": "i@example.com"},
			map[string]any{"name": "J", "email": "j@example.com", "customAttributes": map[string]any{"dept": "x\x00"}},
		}
		var out bulkOutcome
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": items}).Expect(t, http.StatusOK).JSON(t, &out)
		want := []struct{ status, field string }{
			{"created", ""}, {"error", "name"}, {"error", "shoeSize"}, {"error", ""}, {"error", ""},
			{"error", "roleAlias"}, {"error", "customAttributes"}, {"created", ""},
			{"error", "name"}, {"error", "customAttributes.dept"}, // NUL characters, which PostgreSQL cannot store
		}
		if len(out.Results) != len(want) {
			t.Fatalf("results: %+v", out.Results)
		}
		for i, w := range want {
			r := out.Results[i]
			if r.Index != i || r.Status != w.status {
				t.Fatalf("item %d: %+v, want %s", i, r, w.status)
			}
			if _, named := r.Errors[w.field]; w.status == "error" && !named {
				t.Fatalf("item %d: errors %v do not name %q", i, r.Errors, w.field)
			}
		}
		if out.Created != 2 || out.Failed != 8 || s.Count(t, "users") != 2 {
			t.Fatalf("counts: %+v, %d users", out, s.Count(t, "users"))
		}

		// The envelope: refused as a whole, naming the field; nothing written.
		for _, c := range []struct {
			body   any
			status int
			field  string
		}{
			{map[string]any{"users": items[:1], "extra": true}, http.StatusUnprocessableEntity, "extra"},
			{map[string]any{"users": "a@example.com"}, http.StatusUnprocessableEntity, "users"},
			{map[string]any{"users": items[:1], "onExisting": 1}, http.StatusUnprocessableEntity, "onExisting"},
			{`[1, 2]`, http.StatusUnprocessableEntity, "body"},
			{`{"users": [`, http.StatusBadRequest, ""},
		} {
			p := tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", c.body).Problem(t, c.status)
			if _, ok := p.Errors[c.field]; c.field != "" && !ok {
				t.Fatalf("%v: %+v does not name %s", c.body, p, c.field)
			}
		}
		if n := s.Count(t, "users"); n != 2 {
			t.Fatalf("refused calls wrote users: %d", n)
		}
	})
}
