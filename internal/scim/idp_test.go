package scim_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// The request bodies below are the ones Okta's and Microsoft Entra's SCIM
// documentation show (ids replaced by ours), in the order the identity
// providers send them.

func raw(t *testing.T, s string, args ...string) map[string]any {
	t.Helper()
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, args[i], args[i+1])
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test JSON %s: %v", s, err)
	}
	return m
}

func TestOktaSequence(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		// Test connection: a ListResponse even when empty.
		l := list(t, c, "Users", url.Values{"startIndex": {"1"}, "count": {"2"}})
		if l["totalResults"] != 0.0 || len(l["Resources"].([]any)) != 0 {
			t.Fatalf("empty workspace: %v", l)
		}
		// Assignment: look the person up, then create.
		q := url.Values{"filter": {`userName eq "test.user@okta.local"`}, "startIndex": {"1"}, "count": {"100"}}
		if got := list(t, c, "Users", q); got["totalResults"] != 0.0 {
			t.Fatalf("lookup before create: %v", got)
		}
		r := c.do(t, http.MethodPost, "/Users", raw(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "test.user@okta.local",
			"name": {"givenName": "Test", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Test User",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "1mz050nq",
			"active": true}`), "Content-Type", "application/scim+json; charset=utf-8")
		u := ok(t, r, http.StatusCreated)
		id := u["id"].(string)
		if u["userName"] != "test.user@okta.local" || u["active"] != true || u["locale"] != "en-US" || u["password"] != nil {
			t.Fatalf("created: %v", u)
		}
		// The password failed Roster's rules: provisioning still worked, without it.
		rest := c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		if rest["hasPassword"] != false || rest["language"] != "en" {
			t.Errorf("REST view: %v", rest)
		}
		got := list(t, c, "Users", q)
		if ids := ids(t, got); len(ids) != 1 || ids[0] != id {
			t.Fatalf("lookup after create: %v", got)
		}
		// Filter results carry what Okta reads.
		res := elementsOf(got["Resources"])[0]
		for _, k := range []string{"schemas", "id", "userName", "active"} {
			if res[k] == nil {
				t.Errorf("filter result lacks %s", k)
			}
		}
		if get(res, "meta|location") == nil || get(res, "meta|resourceType") != "User" {
			t.Errorf("filter result meta: %v", res["meta"])
		}
		// Okta assigns the same person again: 409 uniqueness.
		scimError(t, c.do(t, http.MethodPost, "/Users", raw(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName":"test.user@okta.local","name":{"givenName":"T","familyName":"U"},"active":true}`)), http.StatusConflict, "uniqueness")
		// Profile update: a full PUT (custom apps send every update this way).
		u = ok(t, c.do(t, http.MethodPut, "/Users/"+id, raw(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "ID",
			"userName": "test.user@okta.local",
			"name": {"givenName": "Another", "familyName": "User"},
			"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
			"displayName": "Another User",
			"locale": "en-US",
			"externalId": "00u1dhhb1fkIGP7RL1d8",
			"groups": [],
			"password": "Secure-Passw0rd!",
			"active": true,
			"meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z"}}`, "ID", id)), http.StatusOK)
		if get(u, "name|givenName") != "Another" || u["displayName"] != "Another User" || u["externalId"] != "00u1dhhb1fkIGP7RL1d8" {
			t.Fatalf("after PUT: %v", u)
		}
		rest = c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		if rest["hasPassword"] != true || rest["name"] != "Another User" {
			t.Errorf("REST after PUT: %v", rest)
		}
		// Deactivation, then reactivation: PATCH without a path.
		for _, active := range []bool{false, true} {
			body := raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","value":{"active":ACTIVE}}]}`, "ACTIVE", map[bool]string{true: "true", false: "false"}[active])
			if u = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, body), http.StatusOK); u["active"] != active {
				t.Fatalf("after active=%v: %v", active, u)
			}
		}
		// Import pages through everyone.
		if got := list(t, c, "Users", url.Values{"startIndex": {"1"}, "count": {"100"}}); got["totalResults"] != 1.0 {
			t.Errorf("import: %v", got)
		}

		// Group Push.
		other := createUser(t, c, user("second.user@okta.local", "Second", "User"))["id"].(string)
		g := ok(t, c.do(t, http.MethodPost, "/Groups", raw(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],
			"displayName":"Test SCIMv2","members":[]}`)), http.StatusCreated)
		gid := g["id"].(string)
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"add","path":"members","value":[{"value":"ID","display":"test.user@okta.local"}]}]}`, "ID", id)), http.StatusNoContent)
		// Rename: a replace without path that repeats the id.
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"id":"GID","displayName":"Test SCIMv2 renamed"}}]}`, "GID", gid)), http.StatusNoContent)
		// Membership change: remove by filter and add, in one request.
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"remove","path":"members[value eq \"ID\"]"},
			{"op":"add","path":"members","value":[{"value":"OTHER","display":"second.user@okta.local"}]}]}`, "OTHER", other, "ID", id)), http.StatusNoContent)
		g = ok(t, c.do(t, http.MethodGet, "/Groups/"+gid, nil), http.StatusOK)
		if g["displayName"] != "Test SCIMv2 renamed" || !slices.Equal(memberIDs(t, c, gid), []string{other}) {
			t.Fatalf("group after pushes: %v", g)
		}
		if got := list(t, c, "Groups", url.Values{"startIndex": {"1"}, "count": {"100"}, "excludedAttributes": {"members"}}); got["totalResults"] != 1.0 {
			t.Errorf("group list: %v", got)
		}
		ok(t, c.do(t, http.MethodDelete, "/Groups/"+gid, nil), http.StatusNoContent)
		// Okta never deletes users; they stay, deactivated or not.
		ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil), http.StatusOK)
	})
}

func TestEntraSequence(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		// Test connection: filters on values that do not exist answer empty lists.
		if got := list(t, c, "Users", url.Values{"filter": {`userName eq "6bf8d1a9-73b9-4d8b-a3ba-1e8f6a0e2f51"`}}); got["totalResults"] != 0.0 {
			t.Fatal(got)
		}
		if got := list(t, c, "Groups", url.Values{"filter": {`displayName eq "6bf8d1a9"`}, "excludedAttributes": {"members"}}); got["totalResults"] != 0.0 {
			t.Fatal(got)
		}
		ok(t, c.do(t, http.MethodGet, "/Schemas", nil), http.StatusOK)

		manager := createUser(t, c, user("manager@contoso.com", "Mona", "Ger"))["id"].(string)
		u := ok(t, c.do(t, http.MethodPost, "/Users", raw(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com",
			"active": true,
			"emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Tour Operations"},
			"roles": []}`)), http.StatusCreated)
		id := u["id"].(string)
		for _, f := range []string{`userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@contoso.com"`,
			`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`,
			`emails[type eq "work"].value eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"`} {
			if ids := ids(t, list(t, c, "Users", url.Values{"filter": {f}})); len(ids) != 1 || ids[0] != id {
				t.Errorf("%s: %v", f, ids)
			}
		}
		// Multi-valued and sub-attribute updates, capitalised ops.
		u = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"updatedEmail@microsoft.com"},
			{"op":"Replace","path":"name.familyName","value":"updatedFamilyName"}]}`)), http.StatusOK)
		if get(u, "name|familyName") != "updatedFamilyName" || get(u, "name|formatted") != "givenName updatedFamilyName" ||
			elementsOf(u["emails"])[0]["value"] != "updatedEmail@microsoft.com" {
			t.Fatalf("after multi-valued update: %v", u)
		}
		// Single-valued update; string booleans; the manager as a bare id.
		u = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"Replace","path":"userName","value":"5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"},
			{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"MGR"},
			{"op":"Replace","path":"active","value":"False"}]}`, "MGR", manager)), http.StatusOK)
		ext := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
		if u["userName"] != "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com" || u["active"] != false || get(u, ext+"|manager|value") != manager {
			t.Fatalf("after single-valued update: %v", u)
		}
		rest := c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		attrs := rest["customAttributes"].(map[string]any)
		if rest["status"] != "deactivated" || rest["email"] != "updatedEmail@microsoft.com" || attrs["manager"] != manager ||
			attrs["employeeNumber"] != "701984" || attrs["department"] != "Tour Operations" {
			t.Fatalf("REST view: %v", rest)
		}
		// The flag aadOptscim062020 sends real booleans and dotted keys without path.
		u = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations":[{"op":"replace","value":{"active":true,"name.givenName":"Updated",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department":"Flight Operations"}}]}`)), http.StatusOK)
		if u["active"] != true || get(u, "name|givenName") != "Updated" || get(u, ext+"|department") != "Flight Operations" {
			t.Fatalf("after no-path update: %v", u)
		}

		// Groups.
		g := ok(t, c.do(t, http.MethodPost, "/Groups", raw(t, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
			"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
			"displayName": "displayName",
			"meta": {"resourceType": "Group"}}`)), http.StatusCreated)
		gid := g["id"].(string)
		got := list(t, c, "Groups", url.Values{"excludedAttributes": {"members"}, "filter": {`displayName eq "displayName"`}})
		if ids := ids(t, got); len(ids) != 1 || ids[0] != gid {
			t.Fatalf("group by displayName: %v", got)
		}
		patch := func(ops string) {
			t.Helper()
			ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, raw(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":`+ops+`}`,
				"USER", id, "MGR", manager)), http.StatusNoContent)
		}
		patch(`[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]`)
		patch(`[{"op":"Add","path":"members","value":[{"$ref":null,"value":"USER"},{"$ref":null,"value":"MGR"}]}]`)
		if !slices.Equal(memberIDs(t, c, gid), sorted(id, manager)) {
			t.Fatal("members not added")
		}
		patch(`[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"USER"}]}]`)
		if !slices.Equal(memberIDs(t, c, gid), []string{manager}) {
			t.Fatal("member not removed")
		}
		if g := ok(t, c.do(t, http.MethodGet, "/Groups/"+gid, nil), http.StatusOK); g["displayName"] != "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName" {
			t.Errorf("group: %v", g)
		}
		ok(t, c.do(t, http.MethodDelete, "/Groups/"+gid, nil), http.StatusNoContent)
		// Entra soft-deletes with active=false first, then may delete.
		ok(t, c.do(t, http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
		scimError(t, c.do(t, http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
	})
}
