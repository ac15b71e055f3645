package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
)

// chatwoot calls the Chatwoot application face of a tenant's account with
// the header the n8n node sends.
func chatwoot(t *testing.T, s *apptest.Server, key string, method, path string, body any) *apptest.Response {
	t.Helper()
	return s.Do(t, apptest.Request{Method: method, Path: path, Body: body, Headers: map[string]string{"Api-Access-Token": key}})
}

func TestChatwootAgents(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		base := fmt.Sprintf("/api/v1/accounts/%d/agents", tenant.ID)
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Learner", "email": "l@example.com"}).Expect(t, http.StatusCreated)
		var a struct {
			ID        string `json:"id"`
			AccountID int64  `json:"account_id"`
			Role      string `json:"role"`
			Email     string `json:"email"`
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"name": "Ada", "email": "ada@example.com", "role": "agent",
			"availability_status": "available", "auto_offline": true}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.ID == "" || a.AccountID != tenant.ID || a.Role != "agent" {
			t.Fatalf("create: %+v", a)
		}
		// The same email again: the existing person gets the role.
		var again struct{ ID, Role string }
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"name": "Ada", "email": "ADA@example.com", "role": "administrator"}).
			Expect(t, http.StatusOK).JSON(t, &again)
		if again.ID != a.ID || again.Role != "administrator" {
			t.Fatalf("existing: %+v", again)
		}
		var list []map[string]any
		chatwoot(t, s, tenant.Key, http.MethodGet, base, nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 1 || list[0]["email"] != "ada@example.com" {
			t.Fatalf("list (learners are not agents): %v", list)
		}
		chatwoot(t, s, tenant.Key, http.MethodPatch, base+"/"+a.ID, map[string]any{"role": "agent", "availability": "busy", "auto_offline": false}).
			Expect(t, http.StatusOK).JSON(t, &again)
		if again.Role != "agent" {
			t.Fatalf("update: %+v", again)
		}
		var main user
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+a.ID, nil).Expect(t, http.StatusOK).JSON(t, &main)
		if main.RoleAlias != "manager" {
			t.Fatalf("role in Roster: %+v", main)
		}
		p := chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"name": "B", "email": "nope", "role": "agent"}).
			Problem(t, http.StatusUnprocessableEntity)
		if p.Message == "Validation failed" {
			t.Errorf("message says nothing: %+v", p)
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"name": "B", "email": "b@example.com", "role": "owner"}).
			Problem(t, http.StatusUnprocessableEntity)
		chatwoot(t, s, tenant.Key, http.MethodDelete, base+"/"+a.ID, nil).Expect(t, http.StatusOK)
		chatwoot(t, s, tenant.Key, http.MethodGet, base, nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list) != 0 {
			t.Fatalf("after delete: %v", list)
		}
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+a.ID, nil).Expect(t, http.StatusOK) // the person stays
		// A read-only key lists but cannot add.
		ro := tenant.NewKey(t, access.UsersRead)
		chatwoot(t, s, ro, http.MethodGet, base, nil).Expect(t, http.StatusOK)
		chatwoot(t, s, ro, http.MethodPost, base, map[string]any{"name": "C", "email": "c@example.com"}).Problem(t, http.StatusForbidden)
	})
}

func TestChatwootTeams(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		base := fmt.Sprintf("/api/v1/accounts/%d/teams", tenant.ID)
		var ids []string
		for _, e := range []string{"a@example.com", "b@example.com", "c@example.com"} {
			var u struct{ ID string }
			tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": e, "email": e}).Expect(t, http.StatusCreated).JSON(t, &u)
			ids = append(ids, u.ID)
		}
		var team struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			Description string `json:"description"`
			AccountID   int64  `json:"account_id"`
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"name": "Support", "description": "Front line", "allow_auto_assign": true}).
			Expect(t, http.StatusOK).JSON(t, &team)
		if team.ID == 0 || team.AccountID != tenant.ID || team.Description != "Front line" {
			t.Fatalf("create: %+v", team)
		}
		one := fmt.Sprintf("%s/%d", base, team.ID)
		chatwoot(t, s, tenant.Key, http.MethodPatch, one, map[string]any{"name": "", "description": "Second line", "allow_auto_assign": true}).
			Expect(t, http.StatusOK).JSON(t, &team)
		chatwoot(t, s, tenant.Key, http.MethodGet, one, nil).Expect(t, http.StatusOK).JSON(t, &team)
		if team.Name != "Support" || team.Description != "Second line" {
			t.Fatalf("update with a blank name: %+v", team)
		}
		var teams []map[string]any
		chatwoot(t, s, tenant.Key, http.MethodGet, base, nil).Expect(t, http.StatusOK).JSON(t, &teams)
		if len(teams) != 1 {
			t.Fatalf("list: %v", teams)
		}
		var group struct{ Name string }
		tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/groups/%d", team.ID), nil).Expect(t, http.StatusOK).JSON(t, &group)
		if group.Name != "Support" {
			t.Fatalf("the team is not the group: %+v", group)
		}

		members := one + "/team_members"
		var agents []struct{ ID string }
		chatwoot(t, s, tenant.Key, http.MethodPost, members, map[string]any{"user_ids": []any{ids[0], ids[1], nil}}).Expect(t, http.StatusOK).JSON(t, &agents)
		if len(agents) != 2 {
			t.Fatalf("add: %+v", agents)
		}
		chatwoot(t, s, tenant.Key, http.MethodPatch, members, map[string]any{"user_ids": []any{ids[1], ids[2]}}).Expect(t, http.StatusOK).JSON(t, &agents)
		if len(agents) != 2 || agents[0].ID == ids[0] && agents[1].ID == ids[0] {
			t.Fatalf("replace: %+v", agents)
		}
		chatwoot(t, s, tenant.Key, http.MethodDelete, members, map[string]any{"user_ids": []any{ids[1]}}).Expect(t, http.StatusOK).JSON(t, &agents)
		chatwoot(t, s, tenant.Key, http.MethodGet, members, nil).Expect(t, http.StatusOK).JSON(t, &agents)
		if len(agents) != 1 || agents[0].ID != ids[2] {
			t.Fatalf("members: %+v", agents)
		}
		p := chatwoot(t, s, tenant.Key, http.MethodPost, members, map[string]any{"user_ids": []any{nil}}).Problem(t, http.StatusUnprocessableEntity)
		if p.Errors["user_ids"] == nil {
			t.Errorf("no user ids: %+v", p)
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, members, map[string]any{"user_ids": []any{"nobody"}}).Problem(t, http.StatusUnprocessableEntity)
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"name": ""}).Problem(t, http.StatusUnprocessableEntity)
		chatwoot(t, s, tenant.Key, http.MethodDelete, one, nil).Expect(t, http.StatusOK)
		chatwoot(t, s, tenant.Key, http.MethodGet, one, nil).Problem(t, http.StatusNotFound)
	})
}

func TestChatwootCustomAttributes(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		base := fmt.Sprintf("/api/v1/accounts/%d/custom_attribute_definitions", tenant.ID)
		var def struct {
			ID              int64    `json:"id"`
			Key             string   `json:"attribute_key"`
			Name            string   `json:"attribute_display_name"`
			Type            string   `json:"attribute_display_type"`
			Model           string   `json:"attribute_model"`
			AttributeValues []string `json:"attribute_values"`
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"attribute_display_name": "Plan", "attribute_display_type": 6,
			"attribute_description": "", "attribute_key": "plan", "attribute_values": []any{"free", "pro"}, "attribute_model": 1}).
			Expect(t, http.StatusOK).JSON(t, &def)
		if def.ID == 0 || def.Type != "list" || def.Model != "contact_attribute" || len(def.AttributeValues) != 2 {
			t.Fatalf("create: %+v", def)
		}
		one := fmt.Sprintf("%s/%d", base, def.ID)
		chatwoot(t, s, tenant.Key, http.MethodPatch, one, map[string]any{"attribute_display_name": "Pricing plan", "attribute_display_type": 0,
			"attribute_key": "", "attribute_values": []any{"free", "pro", "team"}, "attribute_model": 1}).Expect(t, http.StatusOK).JSON(t, &def)
		chatwoot(t, s, tenant.Key, http.MethodGet, one, nil).Expect(t, http.StatusOK).JSON(t, &def)
		if def.Name != "Pricing plan" || def.Type != "list" || len(def.AttributeValues) != 3 {
			t.Fatalf("update: %+v", def)
		}
		// People's attributes now follow the definition.
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "A", "email": "a@example.com", "customAttributes": map[string]any{"plan": "gold"}}).
			Problem(t, http.StatusUnprocessableEntity)
		var defs []map[string]any
		chatwoot(t, s, tenant.Key, http.MethodGet, base+"?attribute_model=1", nil).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 1 {
			t.Fatalf("contact attributes: %v", defs)
		}
		chatwoot(t, s, tenant.Key, http.MethodGet, base+"?attribute_model=0", nil).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 0 {
			t.Fatalf("conversation attributes: %v", defs)
		}
		p := chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"attribute_display_name": "Topic", "attribute_key": "topic", "attribute_model": 0}).
			Problem(t, http.StatusUnprocessableEntity)
		if p.Errors["attribute_model"] == nil {
			t.Errorf("conversation model: %+v", p)
		}
		p = chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"attribute_display_name": "Tier", "attribute_key": "tier",
			"attribute_display_type": 6, "attribute_values": []any{nil}, "attribute_model": 1}).Problem(t, http.StatusUnprocessableEntity)
		if p.Errors["attribute_values"] == nil {
			t.Errorf("list without values: %+v", p)
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"attribute_display_name": "X", "attribute_display_type": 42, "attribute_model": 1}).
			Problem(t, http.StatusUnprocessableEntity)
		chatwoot(t, s, tenant.Key, http.MethodDelete, one, nil).Expect(t, http.StatusOK)
		chatwoot(t, s, tenant.Key, http.MethodGet, one, nil).Problem(t, http.StatusNotFound)
	})
}

func TestChatwootWebhooks(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		base := fmt.Sprintf("/api/v1/accounts/%d/webhooks", tenant.ID)
		var created struct {
			Payload struct {
				Webhook struct {
					ID            string   `json:"id"`
					URL           string   `json:"url"`
					Subscriptions []string `json:"subscriptions"`
					Secret        string   `json:"secret"`
				} `json:"webhook"`
			} `json:"payload"`
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"url": "https://example.com/hook", "subscriptions": []any{"user.created"}}).
			Expect(t, http.StatusOK).JSON(t, &created)
		w := created.Payload.Webhook
		if w.ID == "" || w.Secret == "" || len(w.Subscriptions) != 1 {
			t.Fatalf("create: %+v", created)
		}
		var updated struct {
			Payload struct {
				Webhook struct {
					URL           string   `json:"url"`
					Subscriptions []string `json:"subscriptions"`
					Secret        string   `json:"secret"`
				} `json:"webhook"`
			} `json:"payload"`
		}
		chatwoot(t, s, tenant.Key, http.MethodPatch, base+"/"+w.ID, map[string]any{"url": "", "subscriptions": []any{"user.created", "user.updated"}}).
			Expect(t, http.StatusOK).JSON(t, &updated)
		if updated.Payload.Webhook.URL != "https://example.com/hook" || len(updated.Payload.Webhook.Subscriptions) != 2 || updated.Payload.Webhook.Secret != "" {
			t.Fatalf("update: %+v", updated)
		}
		var list struct {
			Payload struct {
				Webhooks []map[string]any `json:"webhooks"`
			} `json:"payload"`
		}
		chatwoot(t, s, tenant.Key, http.MethodGet, base, nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list.Payload.Webhooks) != 1 {
			t.Fatalf("list: %+v", list)
		}
		// The endpoint is Roster's own.
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+w.ID, nil).Expect(t, http.StatusOK)
		p := chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"url": "https://example.com/2", "subscriptions": []any{"conversation_created"}}).
			Problem(t, http.StatusUnprocessableEntity)
		if p.Errors["subscriptions"] == nil && p.Errors["subscriptions[0]"] == nil {
			t.Errorf("Chatwoot event: %+v", p)
		}
		chatwoot(t, s, tenant.Key, http.MethodPost, base, map[string]any{"url": "https://example.com/2", "subscriptions": []any{nil}}).
			Problem(t, http.StatusUnprocessableEntity)
		chatwoot(t, s, tenant.Key, http.MethodDelete, base+"/"+w.ID, nil).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+w.ID, nil).Problem(t, http.StatusNotFound)
	})
}

func TestChatwootProfile(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var prof struct {
			ID        string `json:"id"`
			AccountID int64  `json:"account_id"`
			Accounts  []struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"accounts"`
		}
		chatwoot(t, s, tenant.Key, http.MethodGet, "/api/v1/profile", nil).Expect(t, http.StatusOK).JSON(t, &prof)
		if prof.ID == "" || prof.AccountID != tenant.ID || len(prof.Accounts) != 1 || prof.Accounts[0].Name != tenant.Name {
			t.Fatalf("profile: %+v", prof)
		}
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/profile"}).Problem(t, http.StatusUnauthorized)
	})
}

// TestChatwootOtherAccount checks that every account-level route answers 404
// for an account other than the key's workspace, and changes nothing there.
func TestChatwootOtherAccount(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		mine, theirs := s.Tenant(t), s.Tenant(t)
		var u struct{ ID string }
		theirs.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "T", "email": "t@example.com"}).Expect(t, http.StatusCreated).JSON(t, &u)
		var g struct{ ID int64 }
		theirs.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "Theirs"}).Expect(t, http.StatusCreated).JSON(t, &g)
		for _, r := range everyRoute(s) {
			if r.meta.Root || len(r.path) < len("/api/v1/accounts/") || r.path[:len("/api/v1/accounts/")] != "/api/v1/accounts/" {
				continue
			}
			for _, acct := range []int64{theirs.ID, 999999} {
				path := pathParam.ReplaceAllString(
					fmt.Sprintf("/api/v1/accounts/%d", acct)+r.meta.Path[len("/accounts/{account_id}"):], fmt.Sprint(g.ID))
				t.Run(r.meta.ID, func(t *testing.T) {
					var body any
					if r.meta.Method != http.MethodGet {
						switch {
						case strings.Contains(path, "team_members"):
							body = map[string]any{"user_ids": []any{u.ID}}
						case strings.Contains(path, "webhooks"):
							body = map[string]any{"url": "https://example.com/x", "subscriptions": []any{"user.created"}}
						case strings.Contains(path, "custom_attribute"):
							body = map[string]any{"attribute_display_name": "X", "attribute_key": "x", "attribute_model": 1}
						case strings.Contains(path, "agents") && r.meta.Method == http.MethodPost:
							body = map[string]any{"name": "x", "email": "x@example.com"}
						case strings.Contains(path, "agents"):
							body = map[string]any{"role": "administrator"}
						default:
							body = map[string]any{"name": "x"}
						}
					}
					chatwoot(t, s, mine.Key, r.meta.Method, path, body).Problem(t, http.StatusNotFound)
				})
			}
		}
		// Nothing changed in the other workspace.
		var members struct{ TotalCount int }
		theirs.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/groups/%d/users", g.ID), nil).Expect(t, http.StatusOK).JSON(t, &members)
		var page struct{ TotalCount int }
		theirs.Call(t, http.MethodGet, "/api/v1/users", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if members.TotalCount != 0 || page.TotalCount != 1 {
			t.Fatalf("the other workspace changed: %d members, %d users", members.TotalCount, page.TotalCount)
		}
	})
}
