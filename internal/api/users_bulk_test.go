package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type bulkOutcome struct {
	Results []struct {
		Index  int                 `json:"index"`
		Status string              `json:"status"`
		ID     string              `json:"id"`
		Code   string              `json:"code"`
		Errors map[string][]string `json:"errors"`
	} `json:"results"`
	Created, Updated, Skipped, Failed int
}

func TestBulkCreateUsers(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		existing := createUser(t, tenant, map[string]any{"name": "Old Name", "email": "old@example.com", "occupation": "Clerk"})
		items := []map[string]any{
			{"name": "A", "email": "a@example.com"},
			{"name": "B", "email": "not-an-email"},
			{"name": "C", "email": "A@example.com"}, // duplicate of item 0
			{"name": "New Name", "email": "OLD@example.com"},
			{"name": "D", "email": "d@example.com", "password": "Passw0rd!", "customAttributes": map[string]any{"dept": "Ops"}},
			{"name": "E", "email": "e@example.com", "timezone": "Atlantis/Capital"},
		}
		var out bulkOutcome
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": items}).Expect(t, http.StatusOK).JSON(t, &out)
		want := []string{"created", "error", "error", "error", "created", "error"}
		for i, r := range out.Results {
			if r.Index != i || r.Status != want[i] {
				t.Fatalf("item %d: %+v, want %s", i, r, want[i])
			}
		}
		if _, ok := out.Results[1].Errors["email"]; !ok || out.Results[2].Code != "duplicate_in_request" || out.Results[3].Code != "email_taken" {
			t.Fatalf("errors not named: %+v", out.Results)
		}
		if _, ok := out.Results[5].Errors["timezone"]; !ok {
			t.Fatalf("timezone error not named: %+v", out.Results[5])
		}
		if out.Created != 2 || out.Failed != 4 || s.Count(t, "users") != 3 {
			t.Fatalf("counts: %+v, %d users", out, s.Count(t, "users"))
		}

		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": items[3:4], "onExisting": "skip"}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Skipped != 1 || out.Results[0].ID != existing.ID {
			t.Fatalf("skip: %+v", out)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": items[3:4], "onExisting": "update"}).Expect(t, http.StatusOK).JSON(t, &out)
		var got user
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+existing.ID, nil).Expect(t, http.StatusOK).JSON(t, &got)
		if out.Updated != 1 || got.Name != "New Name" || got.Occupation != "Clerk" || got.Email != "old@example.com" {
			t.Fatalf("update: %+v %+v", out, got)
		}

		tooMany := make([]map[string]any, 1001)
		for i := range tooMany {
			tooMany[i] = map[string]any{"name": "X", "email": fmt.Sprintf("x%d@example.com", i)}
		}
		p := tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": tooMany}).Problem(t, http.StatusUnprocessableEntity)
		if _, ok := p.Errors["users"]; !ok {
			t.Fatalf("1001 users: %+v", p)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": []any{}}).Problem(t, http.StatusUnprocessableEntity)
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": items[:1], "onExisting": "merge"}).Problem(t, http.StatusUnprocessableEntity)
		if n := s.Count(t, "users"); n != 3 {
			t.Fatalf("refused calls wrote users: %d", n)
		}

		full := make([]map[string]any, 1000)
		for i := range full {
			full[i] = map[string]any{"name": fmt.Sprintf("Bulk %d", i), "email": fmt.Sprintf("bulk%d@example.com", i)}
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": full}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Created != 1000 || s.Count(t, "users") != 1003 {
			t.Fatalf("1000 users: %+v", out.Created)
		}
	})
}
