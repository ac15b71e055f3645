package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// TestIDsAsText: no-code tools send integer ids as text. "2" is taken
// wherever an integer id is expected in a body; "abc" is refused naming the
// field, and nothing is written.
func TestIDsAsText(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		parent := tenant.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "Parent"}).Expect(t, http.StatusCreated).Map(t)
		pid := parent["id"].(float64)
		child := tenant.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "Child", "parentId": jsonNum(pid)}).
			Expect(t, http.StatusCreated).Map(t)
		if child["parentId"] != pid {
			t.Fatalf("parentId as text not taken: %v", child)
		}
		u := createUser(t, tenant, map[string]any{"name": "Ada", "email": "ada@example.com"})
		course := tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"name": "Safety"}).Expect(t, http.StatusCreated).Map(t)
		cid := course["id"].(float64)

		tenant.Call(t, http.MethodPost, "/api/v1/users/"+u.ID+"/groups", map[string]any{"groups": []any{jsonNum(pid)}}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/users/"+u.ID+"/assignments", map[string]any{"courses": []any{jsonNum(cid)}}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/courses/"+jsonNum(cid)+"/assign", map[string]any{"groups": []any{jsonNum(pid)}}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPut, "/api/v1/groups/"+jsonNum(child["id"].(float64)), map[string]any{"parentId": nil}).Expect(t, http.StatusOK)

		var defs []map[string]any
		tenant.Call(t, http.MethodPost, "/api/v1/custom/attributes/users", []any{map[string]any{"name": "Department", "type": "text"}}).
			Expect(t, http.StatusOK).JSON(t, &defs)
		tenant.Call(t, http.MethodPost, "/api/v1/custom/attributes/users", []any{map[string]any{"id": jsonNum(defs[0]["id"].(float64)), "name": "Dept.", "type": "text"}}).
			Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 1 || defs[0]["name"] != "Dept." {
			t.Fatalf("attribute id as text: %v", defs)
		}

		bad := []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"parent", http.MethodPost, "/api/v1/groups", map[string]any{"name": "X", "parentId": "abc"}, "parentId"},
			{"parent zero", http.MethodPost, "/api/v1/groups", map[string]any{"name": "X", "parentId": "0"}, "parentId"},
			{"move", http.MethodPut, "/api/v1/groups/" + jsonNum(pid), map[string]any{"parentId": "abc"}, "parentId"},
			{"groups of user", http.MethodPost, "/api/v1/users/" + u.ID + "/groups", map[string]any{"groups": []any{"abc"}}, "groups[0]"},
			{"courses of user", http.MethodPost, "/api/v1/users/" + u.ID + "/assignments", map[string]any{"courses": []any{"1.5"}}, "courses[0]"},
			{"attribute", http.MethodPost, "/api/v1/custom/attributes/users", []any{map[string]any{"id": "abc", "name": "X", "type": "text"}}, "body[0].id"},
			{"assign groups", http.MethodPost, "/api/v1/courses/" + jsonNum(cid) + "/assign", map[string]any{"groups": []any{"abc"}}, "groups[0]"},
		}
		before := s.Count(t, "groups")
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				p := tenant.Call(t, tc.method, tc.path, tc.body).Problem(t, http.StatusUnprocessableEntity)
				msgs, ok := p.Errors[tc.field]
				if !ok || !strings.Contains(msgs[0], `2 or "2"`) {
					t.Fatalf("problem does not name %s with what it takes: %+v", tc.field, p)
				}
			})
		}
		if n := s.Count(t, "groups"); n != before {
			t.Fatalf("refused requests wrote groups: %d -> %d", before, n)
		}
	})
}

// jsonNum writes an id the way a no-code tool maps it: as text.
func jsonNum(f float64) string { return apptest.Itoa(int64(f)) }
