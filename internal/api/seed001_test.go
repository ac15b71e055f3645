package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// TestSeed001FieldNames: seed 001's field names as written — userId and
// status on users, workflowId on workflows, title on courses, and an
// imported course assigned by the courseId it was imported with.
func TestSeed001FieldNames(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		u := createUser(t, tenant, map[string]any{"userId": "as-1001", "email": "pat@example.com", "name": "Pat Doe", "status": "deactivated"})
		if u.ID != "as-1001" || u.Status != "deactivated" || !u.IsBanned {
			t.Fatalf("create with userId and status: %+v", u)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"userId": "as-1001", "email": "other@example.com", "name": "X"}).Problem(t, http.StatusConflict)
		for _, tc := range []struct {
			body  map[string]any
			field string
		}{
			{map[string]any{"userId": "bad id!", "email": "a@example.com", "name": "X"}, "userId"},
			{map[string]any{"userId": "a", "id": "b", "email": "a@example.com", "name": "X"}, "userId"},
			{map[string]any{"email": "a@example.com", "name": "X", "status": "banned"}, "status"},
		} {
			p := tenant.Call(t, http.MethodPost, "/api/v1/users", tc.body).Problem(t, http.StatusUnprocessableEntity)
			if len(p.Errors[tc.field]) == 0 {
				t.Fatalf("%v: problem does not name %s: %+v", tc.body, tc.field, p)
			}
		}
		var got user
		tenant.Call(t, http.MethodPut, "/api/v1/users/as-1001", map[string]any{"userId": "as-1001", "status": "active"}).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Status != "active" || got.IsBanned {
			t.Fatalf("status on update: %+v", got)
		}
		var evs struct {
			Events []struct {
				Type string `json:"type"`
			} `json:"events"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/events?type=user.reactivated", nil).Expect(t, http.StatusOK).JSON(t, &evs)
		if len(evs.Events) != 1 {
			t.Fatalf("reactivating through an update records user.reactivated: %+v", evs)
		}

		// Courses: title or name, both shown.
		c := tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"title": "Compliance 101", "category": "Legal"}).Expect(t, http.StatusCreated).Map(t)
		if c["name"] != "Compliance 101" || c["title"] != "Compliance 101" {
			t.Fatalf("course by title: %v", c)
		}
		c = tenant.Call(t, http.MethodPut, fmt.Sprintf("/api/v1/courses/%v", c["id"]), map[string]any{"title": "Compliance 102"}).Expect(t, http.StatusOK).Map(t)
		if c["name"] != "Compliance 102" || c["title"] != "Compliance 102" {
			t.Fatalf("course update by title: %v", c)
		}
		p := tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"title": "A", "name": "B"}).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["title"]) == 0 {
			t.Fatalf("name and title differ: %+v", p)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"category": "Legal"}).Problem(t, http.StatusUnprocessableEntity)

		// An imported course is assigned by the courseId it was imported with.
		tenant.Call(t, http.MethodPost, "/api/v1/courses/courses-exporter/public/import", map[string]any{
			"courses": []any{map[string]any{"courseId": "AS-77", "title": "Ethics", "category": "Legal"}}}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseExternalId": "AS-77", "users": []string{"as-1001"}}).Expect(t, http.StatusOK)
		var courses struct {
			Assignments []struct {
				Course struct {
					Title      string `json:"title"`
					ExternalID string `json:"externalId"`
				} `json:"course"`
			} `json:"assignments"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/users/as-1001/courses", nil).Expect(t, http.StatusOK).JSON(t, &courses)
		if len(courses.Assignments) != 1 || courses.Assignments[0].Course.ExternalID != "AS-77" {
			t.Fatalf("assigned by courseExternalId: %s", tenant.Call(t, http.MethodGet, "/api/v1/users/as-1001/courses", nil).Body)
		}
		tenant.Call(t, http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseExternalId": "AS-404", "users": []string{"as-1001"}}).Problem(t, http.StatusNotFound)

		// Workflows list items carry workflowId beside id.
		w := tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "W", "definition": map[string]any{
			"trigger": map[string]any{"type": "event", "event": "user.created"},
			"steps":   []any{map[string]any{"id": "get", "op": "users.get", "input": map[string]any{"id": "{{ trigger.data.id }}"}}}}}).
			Expect(t, http.StatusCreated).Map(t)
		var list struct {
			Workflows []map[string]any `json:"workflows"`
		}
		tenant.Call(t, http.MethodGet, "/api/v1/workflows/", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if len(list.Workflows) != 1 || list.Workflows[0]["workflowId"] != w["id"] || list.Workflows[0]["id"] != w["id"] {
			t.Fatalf("workflowId: %+v", list)
		}
	})
}
