package directory_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type membersAdded struct {
	Users []struct {
		ID string `json:"id"`
	} `json:"users"`
	AddedCount int `json:"addedCount"`
}

type memberPage struct {
	Users []struct {
		ID string `json:"id"`
	} `json:"users"`
	TotalCount int `json:"totalCount"`
}

func TestMemberships(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, u := range []string{"ann", "bob", "cat", "dan"} {
			createUser(t, tenant, u)
		}
		sales := createGroup(t, tenant, map[string]any{"name": "Sales"})
		emea := createGroup(t, tenant, map[string]any{"name": "EMEA", "parentId": sales.ID})
		members := fmt.Sprintf("/groups/%d/users", sales.ID)

		var added membersAdded
		call(t, tenant, http.MethodPost, members, map[string]any{"users": []string{"ann", "bob", "ann"}}).Expect(t, http.StatusOK).JSON(t, &added)
		if added.AddedCount != 2 || len(added.Users) != 2 {
			t.Fatalf("add: %+v", added)
		}
		// Adding members again is a no-op, not an error; userId adds one.
		call(t, tenant, http.MethodPost, members, map[string]any{"users": []string{"bob"}, "userId": "cat"}).Expect(t, http.StatusOK).JSON(t, &added)
		if added.AddedCount != 1 || len(added.Users) != 2 {
			t.Fatalf("re-add: %+v", added)
		}
		call(t, tenant, http.MethodPost, fmt.Sprintf("/groups/%d/users", emea.ID), map[string]any{"userId": "dan"}).Expect(t, http.StatusOK)

		var page memberPage
		call(t, tenant, http.MethodGet, members+"?limit=2", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 3 || len(page.Users) != 2 || page.Users[0].ID != "ann" {
			t.Fatalf("members: %+v", page)
		}
		call(t, tenant, http.MethodGet, members+"?subgroups=true&offset=3", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 4 || len(page.Users) != 1 || page.Users[0].ID != "dan" {
			t.Fatalf("with subgroups: %+v", page)
		}
		var g group
		call(t, tenant, http.MethodGet, fmt.Sprintf("/groups/%d", sales.ID), nil).Expect(t, http.StatusOK).JSON(t, &g)
		if g.UsersCount != 3 {
			t.Fatalf("usersCount %d", g.UsersCount)
		}

		// Konstantly's POST /users/{id}/groups and the user's groups.
		var joined struct {
			Groups []group `json:"groups"`
		}
		call(t, tenant, http.MethodPost, "/users/dan/groups", map[string]any{"groups": []int64{sales.ID, emea.ID}}).Expect(t, http.StatusOK).JSON(t, &joined)
		if len(joined.Groups) != 2 || joined.Groups[0].ID != sales.ID || joined.Groups[0].UsersCount != 4 {
			t.Fatalf("add to groups: %+v", joined)
		}
		var groups groupPage
		call(t, tenant, http.MethodGet, "/users/dan/groups", nil).Expect(t, http.StatusOK).JSON(t, &groups)
		if groups.TotalCount != 2 || groups.Groups[0].Name != "EMEA" {
			t.Fatalf("user's groups: %+v", groups)
		}

		call(t, tenant, http.MethodDelete, members+"/dan", nil).Expect(t, http.StatusNoContent)
		// Removing a non-member answers as removing does, and records nothing.
		evBefore := s.Count(t, "events")
		call(t, tenant, http.MethodDelete, members+"/dan", nil).Expect(t, http.StatusNoContent)
		if s.Count(t, "events") != evBefore {
			t.Fatal("removing a non-member recorded an event")
		}
		call(t, tenant, http.MethodDelete, members+"/nobody", nil).Problem(t, http.StatusNotFound)
		call(t, tenant, http.MethodDelete, "/groups/999999/users/ann", nil).Problem(t, http.StatusNotFound)

		// Unknown users are named by index and nothing is added.
		before := s.Count(t, "group_members")
		events := s.Count(t, "events")
		for _, tc := range []struct {
			body  any
			field string
		}{
			{map[string]any{"users": []string{"ann", "ghost"}}, "users[1]"},
			{map[string]any{"users": []string{"bad id!"}}, "users[0]"},
			{map[string]any{}, "users"},
			{map[string]any{"users": []string{}}, "users"},
			{map[string]any{"users": "ann"}, "users"},
		} {
			p := call(t, tenant, http.MethodPost, members, tc.body).Problem(t, http.StatusUnprocessableEntity)
			if len(p.Errors[tc.field]) == 0 {
				t.Fatalf("%v: problem does not name %s: %+v", tc.body, tc.field, p)
			}
		}
		p := call(t, tenant, http.MethodPost, "/users/ann/groups", map[string]any{"groups": []int64{sales.ID, 999999}}).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["groups[1]"]) == 0 {
			t.Fatalf("unknown group: %+v", p)
		}
		call(t, tenant, http.MethodPost, "/users/ghost/groups", map[string]any{"groups": []int64{sales.ID}}).Problem(t, http.StatusNotFound)
		call(t, tenant, http.MethodPost, "/groups/999999/users", map[string]any{"users": []string{"ann"}}).Problem(t, http.StatusNotFound)
		if s.Count(t, "group_members") != before || s.Count(t, "events") != events {
			t.Fatal("a refused call wrote something")
		}
	})
}
