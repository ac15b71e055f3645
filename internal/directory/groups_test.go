package directory_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type group struct {
	ID               int64          `json:"id"`
	ParentID         *int64         `json:"parentId"`
	Name             string         `json:"name"`
	Description      string         `json:"description"`
	UsersCount       int            `json:"usersCount"`
	CoursesCount     int            `json:"coursesCount"`
	CustomAttributes map[string]any `json:"customAttributes"`
	Attributes       map[string]any `json:"attributes"`
	CreatedAt        int64          `json:"createdAt"`
}

type groupPage struct {
	Groups     []group `json:"groups"`
	TotalCount int     `json:"totalCount"`
}

func call(t *testing.T, tenant *apptest.Tenant, method, path string, body any) *apptest.Response {
	t.Helper()
	return tenant.Call(t, method, "/api/v1"+path, body)
}

func createGroup(t *testing.T, tenant *apptest.Tenant, body map[string]any) group {
	t.Helper()
	var g group
	call(t, tenant, http.MethodPost, "/groups", body).Expect(t, http.StatusCreated).JSON(t, &g)
	return g
}

func createUser(t *testing.T, tenant *apptest.Tenant, id string) {
	t.Helper()
	call(t, tenant, http.MethodPost, "/users", map[string]any{"id": id, "name": "User " + id, "email": id + "@example.com"}).
		Expect(t, http.StatusCreated)
}

func TestGroups(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		sales := createGroup(t, tenant, map[string]any{"name": "Sales", "description": "Sellers",
			"customAttributes": map[string]any{"region": "EU"}, "attributes": map[string]any{"code": 7}})
		if sales.ID == 0 || sales.ParentID != nil || sales.UsersCount != 0 || sales.CreatedAt == 0 ||
			sales.CustomAttributes["region"] != "EU" || sales.Attributes["code"] != float64(7) {
			t.Fatalf("created: %+v", sales)
		}
		emea := createGroup(t, tenant, map[string]any{"name": "EMEA", "parentId": sales.ID})
		if emea.ParentID == nil || *emea.ParentID != sales.ID {
			t.Fatalf("subgroup: %+v", emea)
		}
		createGroup(t, tenant, map[string]any{"name": "Support", "parentId": nil})

		var got group
		call(t, tenant, http.MethodGet, fmt.Sprintf("/groups/%d", sales.ID), nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Sales" || got.Description != "Sellers" {
			t.Fatalf("get: %+v", got)
		}
		var page groupPage
		call(t, tenant, http.MethodGet, "/groups", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 3 || page.Groups[0].Name != "EMEA" || page.Groups[2].Name != "Support" {
			t.Fatalf("list: %+v", page)
		}
		for query, want := range map[string]int{"?topLevel=true": 2, fmt.Sprintf("?parentId=%d", sales.ID): 1, "?query=SUP": 1, "?limit=1&offset=2": 3} {
			call(t, tenant, http.MethodGet, "/groups"+query, nil).Expect(t, http.StatusOK).JSON(t, &page)
			if page.TotalCount != want {
				t.Fatalf("%s: %d, want %d", query, page.TotalCount, want)
			}
		}

		// Partial update; customAttributes merge, null removes a key.
		got = group{}
		call(t, tenant, http.MethodPut, fmt.Sprintf("/groups/%d", sales.ID),
			map[string]any{"description": "All sellers", "customAttributes": map[string]any{"code": nil, "size": 3}}).
			Expect(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Sales" || got.Description != "All sellers" || got.CustomAttributes["code"] != nil ||
			got.CustomAttributes["size"] != float64(3) || got.CustomAttributes["region"] != "EU" {
			t.Fatalf("update: %+v", got)
		}
		call(t, tenant, http.MethodPatch, fmt.Sprintf("/groups/%d", emea.ID), map[string]any{"name": "Europe", "parentId": nil}).
			Expect(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Europe" || got.ParentID != nil {
			t.Fatalf("patch: %+v", got)
		}

		// groups.ensure finds case-insensitively, else creates.
		var ensured struct {
			ID      int64 `json:"id"`
			Created bool  `json:"created"`
		}
		call(t, tenant, http.MethodPost, "/groups/ensure", map[string]any{"name": " sales "}).Expect(t, http.StatusOK).JSON(t, &ensured)
		if ensured.ID != sales.ID || ensured.Created {
			t.Fatalf("ensure existing: %+v", ensured)
		}
		call(t, tenant, http.MethodPost, "/groups/ensure", map[string]any{"name": "Legal"}).Expect(t, http.StatusOK).JSON(t, &ensured)
		if !ensured.Created {
			t.Fatalf("ensure new: %+v", ensured)
		}

		call(t, tenant, http.MethodDelete, fmt.Sprintf("/groups/%d", sales.ID), nil).Expect(t, http.StatusNoContent)
		call(t, tenant, http.MethodGet, fmt.Sprintf("/groups/%d", sales.ID), nil).Problem(t, http.StatusNotFound)
		call(t, tenant, http.MethodDelete, fmt.Sprintf("/groups/%d", sales.ID), nil).Problem(t, http.StatusNotFound)
	})
}

func TestGroupTreeRefusesCycles(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		a := createGroup(t, tenant, map[string]any{"name": "A"})
		b := createGroup(t, tenant, map[string]any{"name": "B", "parentId": a.ID})
		c := createGroup(t, tenant, map[string]any{"name": "C", "parentId": b.ID})
		before := s.Count(t, "events")
		for _, tc := range []struct {
			id, parent int64
		}{{a.ID, c.ID}, {a.ID, b.ID}, {a.ID, a.ID}, {b.ID, c.ID}} {
			p := call(t, tenant, http.MethodPut, fmt.Sprintf("/groups/%d", tc.id), map[string]any{"parentId": tc.parent}).
				Problem(t, http.StatusUnprocessableEntity)
			if len(p.Errors["parentId"]) == 0 {
				t.Fatalf("move %d under %d: %+v", tc.id, tc.parent, p)
			}
		}
		if s.Count(t, "events") != before {
			t.Fatal("a refused move recorded an event")
		}
		// A legal move: C to the top, then A under C.
		call(t, tenant, http.MethodPut, fmt.Sprintf("/groups/%d", c.ID), map[string]any{"parentId": nil}).Expect(t, http.StatusOK)
		call(t, tenant, http.MethodPut, fmt.Sprintf("/groups/%d", a.ID), map[string]any{"parentId": c.ID}).Expect(t, http.StatusOK)
	})
}

func TestGroupsRejectBadInput(t *testing.T) {
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"missing name", map[string]any{}, "name"},
		{"blank name", map[string]any{"name": "  "}, "name"},
		{"long name", map[string]any{"name": strings.Repeat("x", 201)}, "name"},
		{"unknown parent", map[string]any{"name": "A", "parentId": 999999}, "parentId"},
		{"zero parent", map[string]any{"name": "A", "parentId": 0}, "parentId"},
		{"text parent", map[string]any{"name": "A", "parentId": "1"}, "parentId"},
		{"long description", map[string]any{"name": "A", "description": strings.Repeat("x", 5001)}, "description"},
		{"bad attribute key", map[string]any{"name": "A", "customAttributes": map[string]any{"1x": 1}}, "customAttributes.1x"},
		{"nested attribute", map[string]any{"name": "A", "customAttributes": map[string]any{"x": map[string]any{}}}, "customAttributes.x"},
		{"unknown field", map[string]any{"name": "A", "color": "red"}, "color"},
	}
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		other := s.Tenant(t)
		foreign := createGroup(t, other, map[string]any{"name": "Theirs"})
		before := s.Count(t, "events")
		cases := append(cases, struct {
			name  string
			body  any
			field string
		}{"other workspace's parent", map[string]any{"name": "A", "parentId": foreign.ID}, "parentId"})
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp := call(t, tenant, http.MethodPost, "/groups", tc.body)
				if resp.Status < 400 || resp.Status >= 500 {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				if p := resp.Problem(t, resp.Status); len(p.Errors[tc.field]) == 0 {
					t.Fatalf("problem does not name %q: %+v", tc.field, p)
				}
			})
		}
		if s.Count(t, "groups") != 1 || s.Count(t, "events") != before {
			t.Fatal("bad input wrote something")
		}
	})
}

// TestGroupsOfOtherWorkspaceAreNotFound calls every group route with another
// workspace's group id.
func TestGroupsOfOtherWorkspaceAreNotFound(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		owner := s.Tenant(t)
		createUser(t, owner, "ann")
		g := createGroup(t, owner, map[string]any{"name": "Theirs"})
		call(t, owner, http.MethodPost, fmt.Sprintf("/groups/%d/users", g.ID), map[string]any{"users": []string{"ann"}}).Expect(t, http.StatusOK)
		tenant := s.Tenant(t)
		createUser(t, tenant, "bob")
		before := s.Count(t, "events")
		for _, r := range []struct {
			method, path string
			body         any
		}{
			{http.MethodGet, fmt.Sprintf("/groups/%d", g.ID), nil},
			{http.MethodPut, fmt.Sprintf("/groups/%d", g.ID), map[string]any{"name": "Mine"}},
			{http.MethodPatch, fmt.Sprintf("/groups/%d", g.ID), map[string]any{"name": "Mine"}},
			{http.MethodDelete, fmt.Sprintf("/groups/%d", g.ID), nil},
			{http.MethodPost, fmt.Sprintf("/groups/%d/users", g.ID), map[string]any{"users": []string{"bob"}}},
			{http.MethodGet, fmt.Sprintf("/groups/%d/users", g.ID), nil},
			{http.MethodDelete, fmt.Sprintf("/groups/%d/users/ann", g.ID), nil},
			{http.MethodGet, "/users/ann/groups", nil},
			{http.MethodPost, "/users/ann/groups", map[string]any{"groups": []int64{g.ID}}},
		} {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				call(t, tenant, r.method, r.path, r.body).Problem(t, http.StatusNotFound)
			})
		}
		// Their group as a body reference is invalid input, not a leak.
		p := call(t, tenant, http.MethodPost, "/users/bob/groups", map[string]any{"groups": []int64{g.ID}}).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["groups[0]"]) == 0 {
			t.Fatalf("foreign group in body: %+v", p)
		}
		if s.Count(t, "events") != before {
			t.Fatal("a cross-workspace call wrote events")
		}
	})
}
