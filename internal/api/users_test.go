package api_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type user struct {
	ID               string         `json:"id"`
	Name             string         `json:"name"`
	Email            string         `json:"email"`
	RoleAlias        string         `json:"roleAlias"`
	Role             map[string]any `json:"role"`
	Language         string         `json:"language"`
	Timezone         string         `json:"timezone"`
	Occupation       string         `json:"occupation"`
	Status           string         `json:"status"`
	IsBanned         bool           `json:"isBanned"`
	HasPassword      bool           `json:"hasPassword"`
	CustomAttributes map[string]any `json:"customAttributes"`
	CreatedAt        int64          `json:"createdAt"`
}

type userPage struct {
	Users      []user `json:"users"`
	TotalCount int    `json:"totalCount"`
}

func createUser(t *testing.T, tenant *apptest.Tenant, body map[string]any) user {
	t.Helper()
	var u user
	tenant.Call(t, http.MethodPost, "/api/v1/users", body).Expect(t, http.StatusCreated).JSON(t, &u)
	return u
}

func TestCreateUser(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		u := createUser(t, tenant, map[string]any{"name": "Ada Lovelace", "email": "Ada@Example.com"})
		if len(u.ID) != 16 || u.RoleAlias != "learner" || u.Role["alias"] != "learner" || u.Language != "en" ||
			u.Timezone != "UTC" || u.Status != "active" || u.IsBanned || u.HasPassword || u.CreatedAt == 0 {
			t.Fatalf("defaults wrong: %+v", u)
		}
		if strings.Contains(string(tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Body), "password") {
			t.Fatal("password field leaked")
		}

		full := createUser(t, tenant, map[string]any{
			"id": "emp-42", "name": "Grace Hopper", "email": "grace@example.com", "roleAlias": "manager",
			"language": "fr", "timezone": "Europe/Paris", "occupation": "Admiral", "location": "Arlington",
			"password": "Sup3r-secret!", "customAttributes": map[string]any{"department": "Navy", "level": 7},
			"attributes": map[string]any{"badge": "B-1"},
		})
		if full.ID != "emp-42" || full.RoleAlias != "manager" || !full.HasPassword || full.Occupation != "Admiral" ||
			full.CustomAttributes["department"] != "Navy" || full.CustomAttributes["level"] != float64(7) || full.CustomAttributes["badge"] != "B-1" {
			t.Fatalf("fields not stored: %+v", full)
		}
		var hash string
		if err := s.App.DB.Read().QueryRowContext(t.Context(), `SELECT password_hash FROM users WHERE public_id = 'emp-42'`).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(hash, "$argon2id$") || strings.Contains(hash, "Sup3r") {
			t.Fatalf("password not hashed with argon2id: %q", hash)
		}

		// Email uniqueness is per workspace and case-insensitive; ids too.
		p := tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "X", "email": "ada@EXAMPLE.com"}).Problem(t, http.StatusConflict)
		if p.Code != "email_taken" || len(p.Errors["email"]) == 0 {
			t.Fatalf("duplicate email: %+v", p)
		}
		p = tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"id": "emp-42", "name": "X", "email": "x@example.com"}).Problem(t, http.StatusConflict)
		if p.Code != "id_taken" || len(p.Errors["id"]) == 0 {
			t.Fatalf("duplicate id: %+v", p)
		}
		other := s.Tenant(t)
		createUser(t, other, map[string]any{"name": "Ada elsewhere", "email": "ada@example.com", "id": "emp-42"})
		if n := s.Count(t, "users"); n != 3 {
			t.Fatalf("%d users, want 3", n)
		}
	})
}

func TestCreateUserRejectsBadInput(t *testing.T) {
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"missing name", map[string]any{"email": "a@example.com"}, "name"},
		{"empty name", map[string]any{"name": "", "email": "a@example.com"}, "name"},
		{"blank name", map[string]any{"name": "   ", "email": "a@example.com"}, "name"},
		{"missing email", map[string]any{"name": "A"}, "email"},
		{"bad email", map[string]any{"name": "A", "email": "not-an-email"}, "email"},
		{"display-name email", map[string]any{"name": "A", "email": "A <a@example.com>"}, "email"},
		{"email without dot", map[string]any{"name": "A", "email": "a@localhost"}, "email"},
		{"unknown role", map[string]any{"name": "A", "email": "a@example.com", "roleAlias": "king"}, "roleAlias"},
		{"unknown language", map[string]any{"name": "A", "email": "a@example.com", "language": "xx"}, "language"},
		{"fake timezone", map[string]any{"name": "A", "email": "a@example.com", "timezone": "Mars/Olympus"}, "timezone"},
		{"Local timezone", map[string]any{"name": "A", "email": "a@example.com", "timezone": "Local"}, "timezone"},
		{"short password", map[string]any{"name": "A", "email": "a@example.com", "password": "Ab1!"}, "password"},
		{"password without special", map[string]any{"name": "A", "email": "a@example.com", "password": "Abcdefg123"}, "password"},
		{"password without upper", map[string]any{"name": "A", "email": "a@example.com", "password": "abcdefg12!"}, "password"},
		{"long password", map[string]any{"name": "A", "email": "a@example.com", "password": "Aa1!" + strings.Repeat("x", 125)}, "password"},
		{"bad id", map[string]any{"name": "A", "email": "a@example.com", "id": "has space"}, "id"},
		{"unknown field", map[string]any{"name": "A", "email": "a@example.com", "shoeSize": 44}, "shoeSize"},
		{"wrong type", map[string]any{"name": 5, "email": "a@example.com"}, "name"},
		{"bad attribute key", map[string]any{"name": "A", "email": "a@example.com", "customAttributes": map[string]any{"9lives": 1}}, "customAttributes.9lives"},
		{"nested attribute", map[string]any{"name": "A", "email": "a@example.com", "customAttributes": map[string]any{"x": map[string]any{"y": 1}}}, "customAttributes.x"},
		{"not an object", []any{1, 2}, "body"},
	}
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp := tenant.Call(t, http.MethodPost, "/api/v1/users", tc.body)
				if resp.Status < 400 || resp.Status >= 500 {
					t.Fatalf("status %d, want 4xx: %s", resp.Status, resp.Body)
				}
				p := resp.Problem(t, resp.Status)
				if _, ok := p.Errors[tc.field]; !ok {
					t.Fatalf("problem does not name %q: %+v", tc.field, p)
				}
			})
		}
		resp := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/users", Key: tenant.Key, Body: `{"name": "A", "email":`})
		resp.Problem(t, http.StatusBadRequest)
		if n := s.Count(t, "users"); n != 0 {
			t.Fatalf("bad input wrote %d users", n)
		}
		if n := s.Count(t, "events"); n != 0 {
			t.Fatalf("bad input recorded %d events", n)
		}
	})
}

func TestUpdateUser(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		u := createUser(t, tenant, map[string]any{"name": "Ada", "email": "ada@example.com",
			"customAttributes": map[string]any{"department": "R&D", "floor": 3}})
		createUser(t, tenant, map[string]any{"name": "Bob", "email": "bob@example.com"})

		for _, method := range []string{http.MethodPut, http.MethodPatch} {
			var got user
			tenant.Call(t, method, "/api/v1/users/"+u.ID, map[string]any{
				"occupation": "Engineer " + method, "customAttributes": map[string]any{"floor": nil, "team": "Core"},
			}).Expect(t, http.StatusOK).JSON(t, &got)
			if got.Name != "Ada" || got.Email != "ada@example.com" || got.Occupation != "Engineer "+method {
				t.Fatalf("%s: partial update changed other fields: %+v", method, got)
			}
			want := map[string]any{"department": "R&D", "team": "Core"}
			if fmt.Sprint(got.CustomAttributes) != fmt.Sprint(want) {
				t.Fatalf("%s: attributes %v, want %v", method, got.CustomAttributes, want)
			}
		}

		p := tenant.Call(t, http.MethodPut, "/api/v1/users/"+u.ID, map[string]any{"email": "BOB@example.com"}).Problem(t, http.StatusConflict)
		if p.Code != "email_taken" {
			t.Fatalf("email clash: %+v", p)
		}
		p = tenant.Call(t, http.MethodPut, "/api/v1/users/"+u.ID, map[string]any{"timezone": "Nowhere/Town", "name": "Changed"}).Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["timezone"]; !ok {
			t.Fatalf("bad timezone: %+v", p)
		}
		var after user
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &after)
		if after.Name != "Ada" || after.Timezone != "UTC" {
			t.Fatalf("failed update wrote: %+v", after)
		}
		tenant.Call(t, http.MethodPut, "/api/v1/users/nobody", map[string]any{"name": "X"}).Problem(t, http.StatusNotFound)
	})
}

func TestUserStatusAndDelete(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		u := createUser(t, tenant, map[string]any{"name": "Ada", "email": "ada@example.com"})
		var got user
		tenant.Call(t, http.MethodPost, "/api/v1/users/"+u.ID+"/deactivate", nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Status != "deactivated" || !got.IsBanned {
			t.Fatalf("deactivate: %+v", got)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users/"+u.ID+"/deactivate", nil).Expect(t, http.StatusOK) // no-op
		tenant.Call(t, http.MethodPost, "/api/v1/users/"+u.ID+"/reactivate", nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Status != "active" {
			t.Fatalf("reactivate: %+v", got)
		}
		// Konstantly's block/unblock routes.
		tenant.Call(t, http.MethodPost, "/openapi/v1/users/blocked", map[string]any{"id": u.ID}).Expect(t, http.StatusOK).JSON(t, &got)
		if !got.IsBanned {
			t.Fatalf("block: %+v", got)
		}
		tenant.Call(t, http.MethodDelete, "/openapi/v1/users/blocked/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.IsBanned {
			t.Fatalf("unblock: %+v", got)
		}

		tenant.Call(t, http.MethodDelete, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusNoContent)
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Problem(t, http.StatusNotFound)
		tenant.Call(t, http.MethodDelete, "/api/v1/users/"+u.ID, nil).Problem(t, http.StatusNotFound)

		var types []string
		rows, err := s.App.DB.Read().QueryContext(t.Context(), `SELECT type FROM events ORDER BY seq`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var typ string
			_ = rows.Scan(&typ)
			types = append(types, typ)
		}
		want := "user.created user.deactivated user.reactivated user.deactivated user.reactivated user.deleted"
		if strings.Join(types, " ") != want {
			t.Fatalf("events %v, want %s", types, want)
		}
	})
}

func TestListUsers(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for i := 0; i < 25; i++ {
			createUser(t, tenant, map[string]any{"name": fmt.Sprintf("User %02d", 24-i), "email": fmt.Sprintf("u%02d@example.com", i)})
		}
		createUser(t, tenant, map[string]any{"name": "Zed 100%_done", "email": "zed@corp.example.com"})
		s.Tenant(t) // another workspace's users never show
		other := s.Tenant(t)
		createUser(t, other, map[string]any{"name": "User 99", "email": "hidden@example.com"})

		var page userPage
		tenant.Call(t, http.MethodGet, "/api/v1/users", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 26 || len(page.Users) != 20 || page.Users[0].Name != "User 00" || page.Users[19].Name != "User 19" {
			t.Fatalf("first page: total %d, %d users, first %q", page.TotalCount, len(page.Users), page.Users[0].Name)
		}
		tenant.Call(t, http.MethodGet, "/api/v1/users/?offset=20&limit=5", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 26 || len(page.Users) != 5 || page.Users[0].Name != "User 20" {
			t.Fatalf("second page: %+v", page)
		}
		tenant.Call(t, http.MethodGet, "/api/v1/users?offset=500", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 26 || len(page.Users) != 0 || page.Users == nil {
			t.Fatalf("past the end: %s", tenant.Call(t, http.MethodGet, "/api/v1/users?offset=500", nil).Body)
		}
		filters := map[string]int{
			"query=u0":                 10,
			"query=u0&offset=50":       10,
			"query=USER%201":           10,
			"query=corp.example":       1,
			"query=100%25_":            1,
			"query=_":                  1,
			"email=U03@EXAMPLE.COM":    1,
			"email=nobody@example.com": 0,
			"status=deactivated":       0,
		}
		for q, want := range filters {
			tenant.Call(t, http.MethodGet, "/api/v1/users?"+q, nil).Expect(t, http.StatusOK).JSON(t, &page)
			if page.TotalCount != want {
				t.Errorf("%s: %d users, want %d", q, page.TotalCount, want)
			}
		}
		for _, q := range []string{"limit=0", "limit=101", "offset=-1", "status=gone", "limit=abc"} {
			p := tenant.Call(t, http.MethodGet, "/api/v1/users?"+q, nil).Problem(t, http.StatusUnprocessableEntity)
			field := strings.SplitN(q, "=", 2)[0]
			if _, ok := p.Errors[field]; !ok {
				t.Errorf("%s: problem does not name %s: %+v", q, field, p)
			}
		}
	})
}

func TestOtherWorkspacesUsersAreInvisible(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		owner, intruder := s.Tenant(t), s.Tenant(t)
		u := createUser(t, owner, map[string]any{"name": "Ada", "email": "ada@example.com"})
		calls := []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, "/api/v1/users/" + u.ID, nil},
			{http.MethodPut, "/api/v1/users/" + u.ID, map[string]any{"name": "Hacked"}},
			{http.MethodPatch, "/api/v1/users/" + u.ID, map[string]any{"name": "Hacked"}},
			{http.MethodPost, "/api/v1/users/" + u.ID + "/deactivate", nil},
			{http.MethodPost, "/api/v1/users/" + u.ID + "/reactivate", nil},
			{http.MethodPost, "/api/v1/users/blocked", map[string]any{"id": u.ID}},
			{http.MethodDelete, "/api/v1/users/blocked/" + u.ID, nil},
			{http.MethodDelete, "/api/v1/users/" + u.ID, nil},
			{http.MethodGet, "/platform/api/v1/users/" + u.ID, nil},
			{http.MethodPatch, "/platform/api/v1/users/" + u.ID, map[string]any{"name": "Hacked"}},
			{http.MethodDelete, "/platform/api/v1/users/" + u.ID, nil},
		}
		for _, c := range calls {
			intruder.Call(t, c.method, c.path, c.body).Problem(t, http.StatusNotFound)
		}
		var page userPage
		intruder.Call(t, http.MethodGet, "/api/v1/users?query=ada", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 0 {
			t.Fatalf("intruder sees %d users", page.TotalCount)
		}
		var got user
		owner.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Ada" || got.Status != "active" {
			t.Fatalf("intruder changed the user: %+v", got)
		}
	})
}

func TestMe(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		key := tenant.NewKey(t, "users.readonly", "groups.write")
		var me struct {
			WorkspaceID   int64    `json:"workspaceId"`
			WorkspaceName string   `json:"workspaceName"`
			KeyID         string   `json:"keyId"`
			Scopes        []string `json:"scopes"`
		}
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/me", Key: key}).Expect(t, http.StatusOK).JSON(t, &me)
		sort.Strings(me.Scopes)
		if me.WorkspaceID != tenant.ID || me.WorkspaceName != tenant.Name || me.KeyID != key[3:15] || strings.Join(me.Scopes, " ") != "groups.write users.readonly" {
			t.Fatalf("me: %+v", me)
		}
		if strings.Contains(string(s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/me", Key: key}).Body), key[15:]) {
			t.Fatal("the secret is echoed")
		}
	})
}

func TestPathAliases(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, path := range []string{"/api/v1/users", "/api/v1/users/", "/openapi/v1/users", "/openapi/v1/users/"} {
			resp := tenant.Call(t, http.MethodPost, path, map[string]any{"name": "A", "email": localPart(path) + "@example.com"})
			if resp.Status != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, resp.Status, resp.Body)
			}
			tenant.Call(t, http.MethodGet, path, nil).Expect(t, http.StatusOK)
		}
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/nothing-here"}).Problem(t, http.StatusNotFound)
		resp := tenant.Call(t, http.MethodDelete, "/api/v1/users", nil)
		resp.Problem(t, http.StatusMethodNotAllowed)
		if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
			t.Fatalf("Allow %q", allow)
		}
	})
}

func localPart(path string) string {
	return strings.NewReplacer("/", "", "v1", "").Replace(path) + fmt.Sprint(len(path))
}
