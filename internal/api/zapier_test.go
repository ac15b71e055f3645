package api_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// TestZapierShapes: seed 000's actions with their bodies as written — ids
// in the body, path-less forms — and the checks that keep a mis-mapped id
// from touching the wrong record.
func TestZapierShapes(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		u := createUser(t, tenant, map[string]any{"id": "user_123", "name": "Jane Smith", "email": "jane@example.com"})
		createUser(t, tenant, map[string]any{"id": "user_124", "name": "John Roe", "email": "john@example.com"})
		group := tenant.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "Sales"}).Expect(t, http.StatusCreated).Map(t)
		gid := int64(group["id"].(float64))
		course := tenant.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"name": "Safety"}).Expect(t, http.StatusCreated).Map(t)
		cid := int64(course["id"].(float64))

		// Update User: id and email in the body, with and without the path.
		for _, tc := range []struct{ method, path string }{
			{http.MethodPut, "/api/v1/users/user_123"}, {http.MethodPatch, "/api/v1/users/user_123"},
			{http.MethodPut, "/api/v1/users"}, {http.MethodPatch, "/api/v1/users"},
		} {
			name := tc.method + " " + tc.path
			var got user
			tenant.Call(t, tc.method, tc.path, map[string]any{"id": "user_123", "email": "jane@example.com", "name": name}).
				Expect(t, http.StatusOK).JSON(t, &got)
			if got.ID != "user_123" || got.Name != name {
				t.Fatalf("%s: %+v", name, got)
			}
		}
		var got user
		tenant.Call(t, http.MethodPut, "/api/v1/users", map[string]any{"userId": "user_123", "name": "By userId"}).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Name != "By userId" {
			t.Fatalf("userId form: %+v", got)
		}

		// Add User to Group, three ways; adding again is no error.
		tenant.Call(t, http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "user_123", "groupId": gid}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "user_124", "groupId": fmt.Sprint(gid)}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/groups/%d/users", gid), map[string]any{"userId": "user_123", "groupId": gid}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, "/api/v1/users/user_123/groups", map[string]any{"groupId": gid}).Expect(t, http.StatusOK)
		var members userPage
		tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/groups/%d/users", gid), nil).Expect(t, http.StatusOK).JSON(t, &members)
		if members.TotalCount != 2 {
			t.Fatalf("members: %+v", members)
		}

		// Assign Course, the course in the body or the path.
		tenant.Call(t, http.MethodPost, "/api/v1/courses/assign", map[string]any{
			"courseId": cid, "users": []string{"user_123", "user_124"}, "groups": []any{gid}, "deadlineAt": 1643673600}).Expect(t, http.StatusOK)
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/courses/%d/assign", cid), map[string]any{"courseId": fmt.Sprint(cid), "users": []string{"user_123"}}).Expect(t, http.StatusOK)
		var enrolled struct {
			TotalCount int `json:"totalCount"`
		}
		tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/courses/%d/assignments/users", cid), nil).Expect(t, http.StatusOK).JSON(t, &enrolled)
		if enrolled.TotalCount != 2 {
			t.Fatalf("enrolled: %+v", enrolled)
		}

		// Mismatched or missing ids are refused naming the field; nothing is written.
		before := s.Count(t, "events")
		for _, tc := range []struct {
			name, method, path string
			body               any
			field              string
		}{
			{"other user id", http.MethodPut, "/api/v1/users/user_123", map[string]any{"id": "user_124", "name": "X"}, "id"},
			{"other userId", http.MethodPatch, "/api/v1/users/user_123", map[string]any{"userId": "user_124", "name": "X"}, "userId"},
			{"no id", http.MethodPut, "/api/v1/users", map[string]any{"name": "X"}, "id"},
			{"other group", http.MethodPost, fmt.Sprintf("/api/v1/groups/%d/users", gid), map[string]any{"userId": "user_123", "groupId": gid + 1}, "groupId"},
			{"no group", http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "user_123"}, "groupId"},
			{"bad group", http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "user_123", "groupId": "abc"}, "groupId"},
			{"no user", http.MethodPost, "/api/v1/groups/users", map[string]any{"groupId": gid}, "userId"},
			{"no groups", http.MethodPost, "/api/v1/users/user_123/groups", map[string]any{}, "groups"},
			{"other course", http.MethodPost, fmt.Sprintf("/api/v1/courses/%d/assign", cid), map[string]any{"courseId": cid + 1, "users": []string{"user_123"}}, "courseId"},
			{"no course", http.MethodPost, "/api/v1/courses/assign", map[string]any{"users": []string{"user_123"}}, "courseId"},
			{"bad course", http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseId": "abc", "users": []string{"user_123"}}, "courseId"},
			{"unknown user", http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseId": cid, "users": []string{"ghost"}}, "users[0]"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := tenant.Call(t, tc.method, tc.path, tc.body).Problem(t, http.StatusUnprocessableEntity)
				if len(p.Errors[tc.field]) == 0 {
					t.Fatalf("problem does not name %s: %+v", tc.field, p)
				}
			})
		}
		if s.Count(t, "events") != before {
			t.Fatal("a refused call wrote something")
		}
		if got := tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Map(t); got["name"] != "By userId" {
			t.Fatalf("a refused update changed the user: %v", got)
		}

		// Removing a member twice answers the same both times.
		for range 2 {
			tenant.Call(t, http.MethodDelete, fmt.Sprintf("/api/v1/groups/%d/users/user_124", gid), nil).Expect(t, http.StatusNoContent)
		}
	})
}

// TestZapierRoutesHideOtherWorkspaces: the body-addressed routes answer 404
// for another workspace's records, as the path routes do.
func TestZapierRoutesHideOtherWorkspaces(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		owner, other := s.Tenant(t), s.Tenant(t)
		createUser(t, owner, map[string]any{"id": "ann", "name": "Ann", "email": "ann@example.com"})
		createUser(t, other, map[string]any{"id": "bob", "name": "Bob", "email": "bob@example.com"})
		gid := int64(owner.Call(t, http.MethodPost, "/api/v1/groups", map[string]any{"name": "G"}).Expect(t, http.StatusCreated).Map(t)["id"].(float64))
		course := owner.Call(t, http.MethodPost, "/api/v1/courses", map[string]any{"name": "C", "externalId": "ext-1"}).Expect(t, http.StatusCreated).Map(t)
		cid := int64(course["id"].(float64))
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{http.MethodPut, "/api/v1/users", map[string]any{"id": "ann", "name": "X"}},
			{http.MethodPatch, "/api/v1/users", map[string]any{"id": "ann", "name": "X"}},
			{http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "bob", "groupId": gid}},
			{http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseId": cid, "users": []string{"bob"}}},
			{http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseExternalId": "ext-1", "users": []string{"bob"}}},
			{http.MethodDelete, fmt.Sprintf("/api/v1/groups/%d/users/bob", gid), nil},
		} {
			other.Call(t, tc.method, tc.path, tc.body).Problem(t, http.StatusNotFound)
		}
	})
}
