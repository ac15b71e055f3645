package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// A revoked key, or a key of a deleted workspace, is refused at once on
// every node sharing the database, including one that has just verified it.
func TestRevocationAndWorkspaceDeletionReachEveryNode(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, a *apptest.Server) {
		b := apptest.Start(t, a.App.DB.Dialect, apptest.WithDatabaseURL(a.DatabaseURL))
		tenant := a.Tenant(t)
		other := a.Tenant(t)
		onB := b.Adopt(tenant)
		key := tenant.NewKey(t, "users.readonly")
		get := func(s *apptest.Server, key string) int {
			return s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: key}).Status
		}
		waitRefused := func(s *apptest.Server, key, what string) {
			t.Helper()
			// LISTEN/NOTIFY delivers after the commit, within milliseconds;
			// allow a little for a loaded machine.
			deadline := time.Now().Add(2 * time.Second)
			for get(s, key) != http.StatusUnauthorized {
				if time.Now().After(deadline) {
					t.Fatalf("%s: the key still works on the other node", what)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		for range 3 { // verified and cached on both nodes
			if get(a, key) != 200 || get(b, key) != 200 {
				t.Fatal("fresh key refused")
			}
		}
		id := strings.TrimPrefix(key, "rk_")[:12]
		if err := a.App.Access.RevokeKey(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if got := get(a, key); got != http.StatusUnauthorized {
			t.Fatalf("revoking node answered %d", got)
		}
		waitRefused(b, key, "revocation")

		// Deleting a workspace: its keys get 401 (not a 500 from writes into
		// a deleted workspace) on both nodes, and nothing of it remains.
		onB.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "A", "email": "a@example.com"}).Expect(t, http.StatusCreated)
		onB.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "G"}).Expect(t, http.StatusCreated)
		other.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "B", "email": "b@example.com"}).Expect(t, http.StatusCreated)
		if err := a.App.Access.DeleteWorkspace(context.Background(), tenant.ID); err != nil {
			t.Fatal(err)
		}
		a.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/users", Key: tenant.Key,
			Body: map[string]any{"name": "C", "email": "c@example.com"}}).Problem(t, http.StatusUnauthorized)
		waitRefused(b, tenant.Key, "workspace deletion")
		b.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/users", Key: tenant.Key,
			Body: map[string]any{"name": "C", "email": "c@example.com"}}).Problem(t, http.StatusUnauthorized)
		if n := a.Count(t, "users"); n != 1 {
			t.Fatalf("%d users left, want the other workspace's 1", n)
		}
		if n := a.Count(t, "groups"); n != 0 {
			t.Fatalf("%d groups left", n)
		}
		other.Call(t, http.MethodGet, "/api/v1/users", nil).Expect(t, http.StatusOK)
	})
}
