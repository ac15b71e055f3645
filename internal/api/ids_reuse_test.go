package api_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// An id is never handed out twice: deleting the newest object and creating
// another must not give the new one the old id, or a stale reference in an
// integration would silently point at a different object.
func TestIDsAreNeverReused(t *testing.T) {
	kinds := []struct {
		name string
		path string
		body func(i int) map[string]any
	}{
		{"user", "/api/v1/users", func(i int) map[string]any {
			return map[string]any{"name": "U", "email": fmt.Sprintf("reuse%d@example.com", i)}
		}},
		{"group", "/api/v1/groups", func(i int) map[string]any { return map[string]any{"name": fmt.Sprintf("G%d", i)} }},
		{"course", "/api/v1/courses", func(i int) map[string]any { return map[string]any{"name": fmt.Sprintf("C%d", i)} }},
		{"webhook", "/api/v1/webhooks", func(i int) map[string]any {
			return map[string]any{"url": fmt.Sprintf("https://hooks.example.com/%d", i), "eventTypes": []string{"user.created"}}
		}},
		{"workflow", "/api/v1/workflows", func(i int) map[string]any {
			return map[string]any{"name": fmt.Sprintf("W%d", i), "definition": map[string]any{
				"trigger": map[string]any{"type": "webhook"},
				"steps":   []any{map[string]any{"id": "list", "op": "users.list", "input": map[string]any{"limit": 1}}},
			}}
		}},
	}
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				first := fmt.Sprint(tenant.Call(t, http.MethodPost, k.path, k.body(1)).Expect(t, http.StatusCreated).Map(t)["id"])
				tenant.Call(t, http.MethodDelete, k.path+"/"+first, nil).Expect(t, http.StatusNoContent)
				second := fmt.Sprint(tenant.Call(t, http.MethodPost, k.path, k.body(2)).Expect(t, http.StatusCreated).Map(t)["id"])
				if second == first {
					t.Fatalf("the new %s got id %s, the id of the deleted one", k.name, first)
				}
			})
		}
	})
}

// Every SQLite table with an integer id is AUTOINCREMENT, including tables
// that later migrations add.
func TestNoTableReusesIDs(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	tables, err := d.TablesWithReusableIDs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) > 0 {
		t.Fatalf("tables whose ids SQLite may reuse (declare id INTEGER PRIMARY KEY AUTOINCREMENT): %v", tables)
	}
}
