package scim_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// memberIDs reads a group's member ids, sorted.
func memberIDs(t *testing.T, c *client, gid string) []string {
	t.Helper()
	g := ok(t, c.do(t, http.MethodGet, "/Groups/"+gid, nil), http.StatusOK)
	var out []string
	for _, m := range elementsOf(g["members"]) {
		out = append(out, m["value"].(string))
	}
	slices.Sort(out)
	return out
}

func elementsOf(v any) []map[string]any {
	var out []map[string]any
	list, _ := v.([]any)
	for _, el := range list {
		out = append(out, el.(map[string]any))
	}
	return out
}

func sorted(ids ...any) []string {
	var out []string
	for _, id := range ids {
		out = append(out, id.(string))
	}
	slices.Sort(out)
	return out
}

func TestGroups(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		var u []any
		for _, name := range []string{"a", "b", "c", "d"} {
			u = append(u, createUser(t, c, user(name+"@example.com", name, "User"))["id"])
		}
		r := c.do(t, http.MethodPost, "/Groups", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:schemas:core:2.0:Group"}, "displayName": "Engineering", "externalId": "grp-1",
			"members": []any{map[string]any{"value": u[0]}, map[string]any{"value": u[1], "display": "ignored"}}})
		g := ok(t, r, http.StatusCreated)
		gid := g["id"].(string)
		if r.Header.Get("Location") != get(g, "meta|location") || g["externalId"] != "grp-1" || get(g, "meta|resourceType") != "Group" {
			t.Fatalf("created group: %s", r.Body)
		}
		if got := memberIDs(t, c, gid); !slices.Equal(got, sorted(u[0], u[1])) {
			t.Fatalf("members %v", got)
		}
		if m := elementsOf(g["members"]); len(m) != 2 || m[0]["display"] != "a User" || m[0]["type"] != "User" {
			t.Errorf("member shape: %v", g["members"])
		}
		// The same group on the REST API, with its events.
		rest := c.tenant.Call(t, http.MethodGet, "/api/v1/groups/"+gid, nil).Expect(t, http.StatusOK).Map(t)
		if rest["name"] != "Engineering" || rest["usersCount"] != 2.0 {
			t.Fatalf("REST view: %v", rest)
		}
		if eventCount(t, s, c.tenant.ID, "group.created") != 1 || eventCount(t, s, c.tenant.ID, "group.member_added") != 2 {
			t.Error("group events missing")
		}
		// displayName is unique (Entra requires it), case-insensitively.
		scimError(t, c.do(t, http.MethodPost, "/Groups", map[string]any{"displayName": "ENGINEERING"}), http.StatusConflict, "uniqueness")
		scimError(t, c.do(t, http.MethodPost, "/Groups", map[string]any{"members": []any{}}), http.StatusBadRequest, "invalidValue")
		// Unknown member: nothing is created.
		before := s.Count(t, "groups")
		scimError(t, c.do(t, http.MethodPost, "/Groups", map[string]any{"displayName": "Ghosts",
			"members": []any{map[string]any{"value": u[0]}, map[string]any{"value": "nosuchuser"}}}), http.StatusBadRequest, "invalidValue")
		if s.Count(t, "groups") != before {
			t.Fatal("a failed group create left a group behind")
		}

		// Lists: Entra's query, members excluded.
		got := list(t, c, "Groups", url.Values{"filter": {`displayName eq "engineering"`}, "excludedAttributes": {"members"}})
		res := elementsOf(got["Resources"])
		if len(res) != 1 || res[0]["id"] != gid || res[0]["members"] != nil || res[0]["displayName"] != "Engineering" {
			t.Fatalf("displayName filter: %v", got)
		}
		for f, want := range map[string][]string{
			`members[value eq "` + u[1].(string) + `"]`: {gid},
			`members.value eq "` + u[3].(string) + `"`:  nil,
			`externalId eq "grp-1"`:                     {gid},
			`displayName sw "Eng" and members pr`:       {gid},
			`id eq "` + gid + `"`:                       {gid},
			`id eq "not-a-number"`:                      nil,
		} {
			if ids := ids(t, list(t, c, "Groups", url.Values{"filter": {f}})); !slices.Equal(ids, want) {
				t.Errorf("%s: %v, want %v", f, ids, want)
			}
		}

		// PATCH answers 204; with attributes= it answers the group.
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": u[2]}}))), http.StatusNoContent)
		pg := ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid+"?attributes=displayName", patchBody(op("replace", "displayName", "Eng"))), http.StatusOK)
		if pg["displayName"] != "Eng" || pg["members"] != nil {
			t.Errorf("PATCH with attributes: %v", pg)
		}
		// The three ways identity providers remove members.
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("remove", `members[value eq "`+u[0].(string)+`"]`, nil))), http.StatusNoContent)
		if got := memberIDs(t, c, gid); !slices.Equal(got, sorted(u[1], u[2])) {
			t.Fatalf("after remove by filter: %v", got)
		}
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("Remove", "members", []any{map[string]any{"value": u[1]}}))), http.StatusNoContent)
		if got := memberIDs(t, c, gid); !slices.Equal(got, sorted(u[2])) {
			t.Fatalf("after remove by value list: %v", got)
		}
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("replace", "members", []any{map[string]any{"value": u[3]}, map[string]any{"value": u[0]}}))), http.StatusNoContent)
		if got := memberIDs(t, c, gid); !slices.Equal(got, sorted(u[3], u[0])) {
			t.Fatalf("after replace: %v", got)
		}
		if n := eventCount(t, s, c.tenant.ID, "group.member_removed"); n != 3 {
			t.Errorf("%d member_removed events, want 3", n)
		}
		// A PATCH naming an unknown member changes nothing, not even the rename before it.
		scimError(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("replace", "displayName", "Renamed"),
			op("add", "members", []any{map[string]any{"value": "ghost"}}))), http.StatusBadRequest, "invalidValue")
		if g := ok(t, c.do(t, http.MethodGet, "/Groups/"+gid, nil), http.StatusOK); g["displayName"] != "Eng" {
			t.Fatalf("failed PATCH renamed the group: %v", g["displayName"])
		}
		// PUT without members renames and keeps them; with members it replaces.
		ok(t, c.do(t, http.MethodPut, "/Groups/"+gid, map[string]any{"displayName": "Engineering", "externalId": "grp-1"}), http.StatusOK)
		if got := memberIDs(t, c, gid); !slices.Equal(got, sorted(u[3], u[0])) {
			t.Fatalf("PUT without members changed them: %v", got)
		}
		pu := ok(t, c.do(t, http.MethodPut, "/Groups/"+gid, map[string]any{"displayName": "Engineering", "members": []any{}}), http.StatusOK)
		if len(elementsOf(pu["members"])) != 0 || pu["externalId"] != nil {
			t.Fatalf("PUT with empty members: %v", pu)
		}
		// Deleting a user removes it from groups; deleting the group works.
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": u[1]}}))), http.StatusNoContent)
		ok(t, c.do(t, http.MethodDelete, "/Users/"+u[1].(string), nil), http.StatusNoContent)
		if got := memberIDs(t, c, gid); len(got) != 0 {
			t.Fatalf("deleted user still a member: %v", got)
		}
		ok(t, c.do(t, http.MethodDelete, "/Groups/"+gid, nil), http.StatusNoContent)
		scimError(t, c.do(t, http.MethodGet, "/Groups/"+gid, nil), http.StatusNotFound, "")
		if eventCount(t, s, c.tenant.ID, "group.deleted") != 1 {
			t.Error("no group.deleted event")
		}
	})
}
