package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
)

func platformKey(t *testing.T, s *apptest.Server) string {
	t.Helper()
	_, secret, err := s.App.Access.CreatePlatformKey(t.Context(), "test")
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// TestPlatformKeyGrantsNoWorkspaceData checks that a platform key reaches
// the platform accounts and nothing inside a workspace by itself.
func TestPlatformKeyGrantsNoWorkspaceData(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		key := platformKey(t, s)
		for _, path := range []string{"/api/v1/users", "/api/v1/groups", "/api/v1/webhooks", "/platform/api/v1/users",
			fmt.Sprintf("/api/v1/accounts/%d/agents", tenant.ID), fmt.Sprintf("/api/v1/accounts/%d/teams", tenant.ID)} {
			p := s.Do(t, apptest.Request{Method: http.MethodGet, Path: path, Headers: map[string]string{"Api-Access-Token": key}}).
				Problem(t, http.StatusForbidden)
			if p.Code != "insufficient_scope" {
				t.Errorf("%s: %+v", path, p)
			}
		}
		me := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/me", Key: key}).Expect(t, http.StatusOK).Map(t)
		if me["workspaceId"] != float64(0) || me["scopes"].([]any)[0] != "platform" {
			t.Errorf("me: %v", me)
		}
		// Revoked: refused at once.
		keys, err := s.App.Access.ListPlatformKeys(t.Context())
		if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() {
			t.Fatalf("keys %+v %v", keys, err)
		}
		if err := s.App.Access.RevokeKey(t.Context(), keys[0].ID); err != nil {
			t.Fatal(err)
		}
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/me", Key: key}).Problem(t, http.StatusUnauthorized)
	})
}

// TestPlatformAccounts runs Chatwoot's accounts (workspaces) and account
// users (console roles) with a platform key.
func TestPlatformAccounts(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		key := platformKey(t, s)
		call := func(method, path string, body any) *apptest.Response {
			return s.Do(t, apptest.Request{Method: method, Path: "/platform/api/v1" + path, Body: body, Headers: map[string]string{"api_access_token": key}})
		}
		var acct struct {
			ID     int64  `json:"id"`
			Name   string `json:"name"`
			Status string `json:"status"`
		}
		call(http.MethodPost, "/accounts", map[string]any{"name": "Acme"}).Expect(t, http.StatusOK).JSON(t, &acct)
		if acct.ID == 0 || acct.Name != "Acme" || acct.Status != "active" {
			t.Fatalf("create: %+v", acct)
		}
		ws, err := s.App.Access.WorkspaceByName(t.Context(), "Acme")
		if err != nil || ws.ID != acct.ID {
			t.Fatalf("workspace %+v %v", ws, err)
		}
		base := fmt.Sprintf("/accounts/%d", acct.ID)
		call(http.MethodPatch, base, map[string]any{"name": "Acme Ltd"}).Expect(t, http.StatusOK).JSON(t, &acct)
		call(http.MethodPatch, base, map[string]any{"name": ""}).Expect(t, http.StatusOK).JSON(t, &acct) // blank: unchanged
		call(http.MethodGet, base, nil).Expect(t, http.StatusOK).JSON(t, &acct)
		if acct.Name != "Acme Ltd" {
			t.Fatalf("renamed: %+v", acct)
		}
		p := call(http.MethodPost, "/accounts", map[string]any{"name": "Acme Ltd"}).Problem(t, http.StatusConflict)
		if p.Code != "workspace_exists" {
			t.Errorf("duplicate: %+v", p)
		}
		call(http.MethodPost, "/accounts", map[string]any{"name": " "}).Problem(t, http.StatusUnprocessableEntity)
		// Idempotency keys work for platform keys too.
		for i := range 2 {
			resp := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/platform/api/v1/accounts", Body: map[string]any{"name": "Once"},
				Headers: map[string]string{"api_access_token": key, "Idempotency-Key": "create-once"}}).Expect(t, http.StatusOK)
			if replayed := resp.Header.Get("Idempotent-Replayed") == "true"; replayed != (i == 1) {
				t.Fatalf("attempt %d: replayed %v", i, replayed)
			}
		}

		// Account users are people's console roles in the workspace.
		tenant := &apptest.Tenant{}
		*tenant = *s.Adopt(&apptest.Tenant{ID: acct.ID, Name: acct.Name})
		tenant.Key = tenant.NewKey(t, access.AllScopes...)
		var u struct{ ID string }
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Ada", "email": "ada@example.com"}).Expect(t, http.StatusCreated).JSON(t, &u)
		var au struct {
			UserID    string `json:"user_id"`
			AccountID int64  `json:"account_id"`
			Role      string `json:"role"`
		}
		call(http.MethodPost, base+"/account_users", map[string]any{"user_id": u.ID, "role": "administrator"}).Expect(t, http.StatusOK).JSON(t, &au)
		if au.UserID != u.ID || au.AccountID != acct.ID || au.Role != "administrator" {
			t.Fatalf("account user: %+v", au)
		}
		var main user
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &main)
		if main.RoleAlias != "admin" {
			t.Fatalf("role: %+v", main)
		}
		call(http.MethodPost, base+"/account_users", map[string]any{"user_id": u.ID, "role": "agent"}).Expect(t, http.StatusOK).JSON(t, &au)
		var list []map[string]any
		call(http.MethodGet, base+"/account_users", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 1 || list[0]["role"] != "agent" {
			t.Fatalf("list: %v", list)
		}
		call(http.MethodPost, base+"/account_users", map[string]any{"user_id": u.ID, "role": "owner"}).Problem(t, http.StatusUnprocessableEntity)
		call(http.MethodPost, base+"/account_users", map[string]any{"role": "agent"}).Problem(t, http.StatusUnprocessableEntity)
		del := call(http.MethodDelete, base+"/account_users", map[string]any{"user_id": u.ID}).Expect(t, http.StatusOK).Map(t)
		if del["deleted"] != true {
			t.Fatalf("delete: %v", del)
		}
		call(http.MethodGet, base+"/account_users", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 0 {
			t.Fatalf("after delete: %v", list)
		}
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK) // the person stays

		// A user of another workspace is not found through this account.
		other := s.Tenant(t)
		var stranger struct{ ID string }
		other.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Bob", "email": "bob@example.com"}).Expect(t, http.StatusCreated).JSON(t, &stranger)
		call(http.MethodPost, base+"/account_users", map[string]any{"user_id": stranger.ID, "role": "agent"}).Problem(t, http.StatusNotFound)

		call(http.MethodDelete, base, nil).Expect(t, http.StatusOK)
		call(http.MethodGet, base, nil).Problem(t, http.StatusNotFound)
		call(http.MethodGet, base+"/account_users", nil).Problem(t, http.StatusNotFound)
		tenant.Call(t, http.MethodGet, "/api/v1/users", nil).Problem(t, http.StatusUnauthorized) // its keys went with it
	})
}
