package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// lastEvent returns the data of the newest event of type typ.
func lastEvent(t *testing.T, tenant *apptest.Tenant, typ string) map[string]any {
	t.Helper()
	var page struct {
		Events []struct {
			Data map[string]any `json:"data"`
		} `json:"events"`
	}
	tenant.Call(t, http.MethodGet, "/api/v1/events?type="+typ+"&limit=100", nil).Expect(t, http.StatusOK).JSON(t, &page)
	if len(page.Events) == 0 {
		t.Fatalf("no %s event", typ)
	}
	return page.Events[len(page.Events)-1].Data
}

func countEvents(t *testing.T, tenant *apptest.Tenant, typ string) int {
	t.Helper()
	var page struct {
		Events []any `json:"events"`
	}
	tenant.Call(t, http.MethodGet, "/api/v1/events?type="+typ+"&limit=100", nil).Expect(t, http.StatusOK).JSON(t, &page)
	return len(page.Events)
}

// TestUpdatedEventsCarryPreviousValues: every *.updated event carries the
// old values of what changed (previous) and their names (changed).
func TestUpdatedEventsCarryPreviousValues(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		createUser(t, tenant, map[string]any{"id": "ann", "name": "Ann", "email": "ann@example.com", "customAttributes": map[string]any{"department": "Sales"}})
		gid := tenant.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "Sales"}).Expect(t, http.StatusCreated).Map(t)["id"]
		cid := tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"name": "Safety", "isDraft": true}).Expect(t, http.StatusCreated).Map(t)["id"]
		wid := tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "W", "definition": map[string]any{
			"trigger": map[string]any{"type": "manual"},
			"steps":   []any{map[string]any{"id": "list", "op": "users.list", "input": map[string]any{}}}}}).Expect(t, http.StatusCreated).Map(t)["id"]
		for _, tc := range []struct {
			typ, path string
			body      map[string]any
			changed   []string
			field     string
			previous  any
		}{
			{"user.updated", "/api/v1/users/ann", map[string]any{"customAttributes": map[string]any{"department": "Support"}},
				[]string{"attributes", "customAttributes"}, "customAttributes", map[string]any{"department": "Sales"}},
			{"group.updated", fmt.Sprintf("/api/v1/groups/%v", gid), map[string]any{"name": "Field sales"}, []string{"name"}, "name", "Sales"},
			{"course.updated", fmt.Sprintf("/api/v1/courses/%v", cid), map[string]any{"title": "Fire safety"}, []string{"name", "title"}, "name", "Safety"},
			{"workflow.updated", fmt.Sprintf("/api/v1/workflows/%v", wid), map[string]any{"name": "W2"}, []string{"name"}, "name", "W"},
		} {
			t.Run(tc.typ, func(t *testing.T) {
				tenant.Call(t, http.MethodPut, tc.path, tc.body).Expect(t, http.StatusOK)
				data := lastEvent(t, tenant, tc.typ)
				var changed []string
				for _, c := range data["changed"].([]any) {
					changed = append(changed, c.(string))
				}
				prev := data["previous"].(map[string]any)
				if !slices.Equal(changed, tc.changed) || fmt.Sprint(prev[tc.field]) != fmt.Sprint(tc.previous) {
					t.Fatalf("changed %v previous %v", changed, prev)
				}
			})
		}

		// course.published: a draft leaving draft, a course created
		// published; never a draft, nor an update that keeps it published.
		if n := countEvents(t, tenant, "course.published"); n != 0 {
			t.Fatalf("a draft was published: %d", n)
		}
		tenant.Call(t, http.MethodPut, fmt.Sprintf("/api/v1/courses/%v", cid), map[string]any{"isDraft": false}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPut, fmt.Sprintf("/api/v1/courses/%v", cid), map[string]any{"category": "HR"}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"name": "Ethics"}).Expect(t, http.StatusCreated)
		tenant.Call(t, http.MethodPost, "/api/v1/courses/courses-exporter/public/import", map[string]any{"courses": []any{
			map[string]any{"courseId": "A", "title": "Imported"}, map[string]any{"courseId": "B", "title": "Imported draft", "isDraft": true}}}).
			Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/courses/courses-exporter/public/import", map[string]any{"courses": []any{
			map[string]any{"courseId": "A", "title": "Imported"}, map[string]any{"courseId": "B", "title": "Imported draft"}}}).
			Expect(t, http.StatusOK)
		if n := countEvents(t, tenant, "course.published"); n != 4 {
			t.Fatalf("course.published events: %d, want 4 (out of draft, created, imported, imported out of draft)", n)
		}
	})
}
