package api_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
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
		// An object, not Chatwoot's empty body: n8n turns that into json: "".
		del := tenant.Call(t, http.MethodDelete, "/platform/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).Map(t)
		if del["id"] != u.ID || del["deleted"] != true {
			t.Fatalf("delete body %v", del)
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

// TestPlatformUserBlankFields checks the n8n node's update, which sends every
// field with "" for the blank ones: blank means unchanged, so renaming a
// user never resets their password, email or attributes.
func TestPlatformUserBlankFields(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var u platformUser
		tenant.Call(t, http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "Ada", "display_name": "", "email": "ada@example.com",
			"password": "Passw0rd!", "custom_attributes": `{"plan":"pro"}`}).Expect(t, http.StatusOK).JSON(t, &u)
		if u.CustomAttributes["plan"] != "pro" {
			t.Fatalf("attributes as JSON text: %+v", u)
		}
		path := "/platform/api/v1/users/" + u.ID
		cases := []struct {
			name string
			body map[string]any
			want func(platformUser) bool
		}{
			{"name alone", map[string]any{"name": "Ada L.", "display_name": "", "email": "", "password": "", "custom_attributes": ""},
				func(got platformUser) bool {
					return got.Name == "Ada L." && got.Email == "ada@example.com" && got.CustomAttributes["plan"] == "pro"
				}},
			{"attributes alone", map[string]any{"name": "", "display_name": "", "email": "", "password": "", "custom_attributes": map[string]any{"seats": 2}},
				func(got platformUser) bool {
					return got.Name == "Ada L." && got.CustomAttributes["plan"] == "pro" && got.CustomAttributes["seats"] == float64(2)
				}},
			{"everything blank", map[string]any{"name": "", "display_name": "", "email": "", "password": "", "custom_attributes": "  "},
				func(got platformUser) bool { return got.Name == "Ada L." && got.Email == "ada@example.com" }},
		}
		for _, c := range cases {
			var got platformUser
			tenant.Call(t, http.MethodPatch, path, c.body).Expect(t, http.StatusOK).JSON(t, &got)
			if !c.want(got) {
				t.Errorf("%s: %+v", c.name, got)
			}
		}
		var main user
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &main)
		if !main.HasPassword {
			t.Fatalf("a blank password reset the password")
		}
	})
}

// TestPlatformErrorMessage checks that errors on the platform face say what
// is wrong in `message` (all n8n shows) and name the fields in
// `attributes`, as Chatwoot's {message, attributes} does.
func TestPlatformErrorMessage(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		cases := []struct {
			name, method, path string
			body               any
			field, wantInMsg   string
		}{
			{"weak password", http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "A", "email": "a@example.com", "password": "short"}, "password", "password"},
			{"bad email", http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "A", "email": "nope"}, "email", "valid email"},
			{"attributes not an object", http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "A", "email": "a@example.com", "custom_attributes": "[1]"}, "custom_attributes", "JSON object"},
			{"too long (schema)", http.MethodPost, "/platform/api/v1/users", map[string]any{"name": strings.Repeat("x", 201), "email": "a@example.com"}, "name", "name"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp := tenant.Call(t, c.method, c.path, c.body)
				p := resp.Problem(t, http.StatusUnprocessableEntity)
				if p.Message == "Validation failed" || !strings.Contains(p.Message, c.wantInMsg) {
					t.Errorf("message %q does not say why", p.Message)
				}
				var attrs struct{ Attributes []string }
				resp.JSON(t, &attrs)
				if !slices.Contains(attrs.Attributes, c.field) {
					t.Errorf("attributes %v lack %s", attrs.Attributes, c.field)
				}
			})
		}
		// The main API keeps Konstantly's message.
		p := tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": strings.Repeat("x", 201), "email": "a@example.com"}).
			Problem(t, http.StatusUnprocessableEntity)
		if p.Message != "Validation failed" {
			t.Errorf("main API message %q", p.Message)
		}
	})
}

// TestLoginLinks checks the one-time sign-in link of both faces: Chatwoot's
// /users/{id}/login and Konstantly's /users/{id}/sso share it; it works once,
// within its expiry, and is stored hashed.
func TestLoginLinks(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant, other := s.Tenant(t), s.Tenant(t)
		var u platformUser
		tenant.Call(t, http.MethodPost, "/platform/api/v1/users", map[string]any{"name": "Ada", "email": "ada@example.com"}).
			Expect(t, http.StatusOK).JSON(t, &u)
		for _, path := range []string{"/platform/api/v1/users/" + u.ID + "/login", "/api/v1/users/" + u.ID + "/sso", "/openapi/v1/users/" + u.ID + "/sso"} {
			var link struct{ URL string }
			tenant.Call(t, http.MethodGet, path, nil).Expect(t, http.StatusOK).JSON(t, &link)
			if !strings.HasPrefix(link.URL, s.URL+"/sso/login/") {
				t.Fatalf("%s: url %q", path, link.URL)
			}
			var hash string
			if err := s.App.DB.Read().QueryRowContext(t.Context(), `SELECT token_hash FROM login_links ORDER BY created_at DESC LIMIT 1`).Scan(&hash); err != nil {
				t.Fatal(err)
			}
			token := strings.TrimPrefix(link.URL, s.URL+"/sso/login/")
			if strings.Contains(hash, token) {
				t.Fatalf("token stored in plain text")
			}
			page := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/sso/login/" + token}).Expect(t, http.StatusOK)
			if !strings.Contains(string(page.Body), "ada@example.com") || page.Header.Get("Cache-Control") != "no-store" {
				t.Fatalf("sign-in page: %s", page.Body)
			}
			s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/sso/login/" + token}).Expect(t, http.StatusNotFound) // used up
		}
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/sso/login/nonsense"}).Expect(t, http.StatusNotFound)
		// Another workspace's key cannot make a link for this user.
		other.Call(t, http.MethodGet, "/platform/api/v1/users/"+u.ID+"/login", nil).Problem(t, http.StatusNotFound)
		other.Call(t, http.MethodGet, "/api/v1/users/"+u.ID+"/sso", nil).Problem(t, http.StatusNotFound)
		// A deactivated user gets no link.
		tenant.Call(t, http.MethodPost, "/api/v1/users/"+u.ID+"/deactivate", nil).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID+"/sso", nil).Problem(t, http.StatusConflict)
	})
}
