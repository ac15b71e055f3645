package api_test

import (
	"net/http"
	"sort"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type platformUser struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	DisplayName      string         `json:"display_name"`
	Email            string         `json:"email"`
	CustomAttributes map[string]any `json:"custom_attributes"`
	CreatedAt        int64          `json:"created_at"`
}

func TestPlatformUsers(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var u platformUser
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/platform/api/v1/users", Headers: map[string]string{"api_access_token": tenant.Key},
			Body: map[string]any{"name": "Ada Lovelace", "display_name": "Ada", "email": "ada@example.com", "password": "Passw0rd!",
				"custom_attributes": map[string]any{"plan": "pro", "seats": 3}}}).Expect(t, http.StatusOK).JSON(t, &u)
		if u.ID == "" || u.DisplayName != "Ada" || u.CustomAttributes["plan"] != "pro" || u.CreatedAt == 0 {
			t.Fatalf("create: %+v", u)
		}
		// As in Chatwoot, the same email returns the existing user.
		var again platformUser
		tenant.Call(t, http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "Other", "email": "ADA@example.com"}).
			Expect(t, http.StatusOK).JSON(t, &again)
		if again.ID != u.ID || again.Name != "Ada Lovelace" {
			t.Fatalf("existing email: %+v", again)
		}
		var patched platformUser
		tenant.Call(t, http.MethodPatch, "/platform/api/v1/users/"+u.ID, map[string]any{"custom_attributes": map[string]any{"seats": 5}}).
			Expect(t, http.StatusOK).JSON(t, &patched)
		if patched.CustomAttributes["plan"] != "pro" || patched.CustomAttributes["seats"] != float64(5) {
			t.Fatalf("custom_attributes not merged: %+v", patched.CustomAttributes)
		}
		// The same user through the main API.
		var main user
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &main)
		if main.Email != "ada@example.com" || !main.HasPassword || main.CustomAttributes["seats"] != float64(5) {
			t.Fatalf("main API view: %+v", main)
		}
		p := tenant.Call(t, http.MethodPatch, "/platform/api/v1/users/"+u.ID, map[string]any{"display_name": string(make([]byte, 0)) + "x", "email": "bad"}).
			Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["email"]; !ok {
			t.Fatalf("bad email: %+v", p)
		}
		p = tenant.Call(t, http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "B", "email": "b@example.com",
			"custom_attributes": map[string]any{"x": map[string]any{}}}).Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["custom_attributes.x"]; !ok {
			t.Fatalf("field names not snake_case: %+v", p)
		}
		var list []platformUser
		tenant.Call(t, http.MethodGet, "/platform/api/v1/users", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 1 {
			t.Fatalf("list: %+v", list)
		}
		resp := tenant.Call(t, http.MethodDelete, "/platform/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK)
		if len(resp.Body) != 0 {
			t.Fatalf("delete body %q", resp.Body)
		}
		tenant.Call(t, http.MethodGet, "/platform/api/v1/users/"+u.ID, nil).Problem(t, http.StatusNotFound)
	})
}

// TestPlatformUsersByEmail: ?email= filters the platform list (exact,
// case-insensitive), as users.list does; before, it was ignored and every
// user came back.
func TestPlatformUsersByEmail(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, email := range []string{"ada@example.com", "grace@example.com"} {
			tenant.Call(t, http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "X", "email": email}).Expect(t, http.StatusOK)
		}
		other := s.Tenant(t)
		other.Call(t, http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "X", "email": "ada@example.com"}).Expect(t, http.StatusOK)
		for _, c := range []struct {
			query string
			want  []string
		}{
			{"?email=GRACE@example.com", []string{"grace@example.com"}},
			{"?email=ada%40example.com", []string{"ada@example.com"}},
			{"?email=nobody@example.com", nil},
			{"?email=ada", nil},
			{"", []string{"ada@example.com", "grace@example.com"}},
		} {
			var got []platformUser
			tenant.Call(t, http.MethodGet, "/platform/api/v1/users"+c.query, nil).Expect(t, http.StatusOK).JSON(t, &got)
			if len(got) != len(c.want) {
				t.Fatalf("%s: %+v, want %v", c.query, got, c.want)
			}
			sort.Slice(got, func(i, j int) bool { return got[i].Email < got[j].Email }) // same-millisecond creates
			for i := range got {
				if got[i].Email != c.want[i] {
					t.Fatalf("%s: %+v, want %v", c.query, got, c.want)
				}
			}
		}
	})
}
