package scim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/scim"
)

const ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

// seedUsers creates a varied set of users and returns them as SCIM shows
// them, in creation order.
func seedUsers(t *testing.T, c *client) []map[string]any {
	t.Helper()
	specs := []map[string]any{
		{"userName": "ann@example.com", "name": map[string]any{"givenName": "Ann", "familyName": "Archer"}, "title": "Engineer",
			"externalId": "ext-ann", ent: map[string]any{"department": "R&D"}},
		{"userName": "Bob@Example.com", "name": map[string]any{"givenName": "Bob", "familyName": "Baker"}, "active": false},
		{"userName": "cat@example.org", "name": map[string]any{"givenName": "Cat", "familyName": "Cole"}, "title": "Engineer Manager",
			"externalId": "EXT-cat", ent: map[string]any{"department": "Sales", "employeeNumber": "42"}},
		{"userName": "dan_1", "emails": []any{map[string]any{"value": "dan@example.net", "type": "work", "primary": true}},
			"name": map[string]any{"givenName": "Dan", "familyName": "Drake"}, "displayName": "Danny"},
		{"userName": "eve@example.com", "name": map[string]any{"formatted": "Eve"}, "active": true, "title": "Auditor"},
		{"userName": "fay%x@example.com", "name": map[string]any{"givenName": "Fay", "familyName": "O'Hara"}},
		{"userName": "gus@example.org", "name": map[string]any{"givenName": "Gus", "familyName": "Grant"}, "externalId": "ext-gus",
			ent: map[string]any{"department": "Sales"}},
	}
	var out []map[string]any
	for _, b := range specs {
		b["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User", ent}
		out = append(out, createUser(t, c, b))
	}
	return out
}

func list(t *testing.T, c *client, endpoint string, q url.Values) map[string]any {
	t.Helper()
	m := ok(t, c.do(t, http.MethodGet, "/"+endpoint+"?"+q.Encode(), nil), http.StatusOK)
	if s, _ := m["schemas"].([]any); len(s) != 1 || s[0] != "urn:ietf:params:scim:api:messages:2.0:ListResponse" {
		t.Fatalf("not a ListResponse: %v", m)
	}
	for _, k := range []string{"totalResults", "startIndex", "itemsPerPage"} {
		if _, isNum := m[k].(float64); !isNum {
			t.Fatalf("%s is not a number: %v", k, m)
		}
	}
	if _, isList := m["Resources"].([]any); !isList {
		t.Fatalf("Resources is not a list: %v", m)
	}
	return m
}

// TestFilterAgreesWithGoEvaluation runs filters against the server —
// answered by SQL where the translation is exact, in Go otherwise — and
// checks each answer against evaluating the filter in Go on every user.
func TestFilterAgreesWithGoEvaluation(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		users := seedUsers(t, c)
		third := get(users[2], "meta|created").(string)
		filters := []string{
			`userName eq "ann@example.com"`,
			`userName eq "BOB@example.COM"`,
			`userName eq "DAN_1"`,
			`userName eq "dan@example.net"`,
			`userName sw "b"`,
			`userName co "%x"`,
			`userName co "_"`,
			`userName ew ".org"`,
			`userName ne "ann@example.com"`,
			`userName pr`,
			`emails.value eq "dan@example.net"`,
			`emails[type eq "work"].value eq "CAT@example.org"`,
			`emails[type eq "home"]`,
			`emails[primary eq true and value co "example.com"]`,
			`externalId eq "ext-ann"`,
			`externalId eq "EXT-ANN"`,
			`externalId ne "ext-ann"`,
			`externalId pr`,
			`not (externalId pr)`,
			`externalId eq null`,
			`active eq false`,
			`active eq "True"`,
			`active ne true`,
			`id eq "` + users[3]["id"].(string) + `"`,
			`meta.created gt "` + third + `"`,
			`meta.created le "` + third + `"`,
			`meta.lastModified ge "2000-01-01T00:00:00Z"`,
			`meta.resourceType eq "User"`,
			`userName ew ".com" and active eq true`,
			`userName sw "a" or userName sw "c" or externalId eq "ext-gus"`,
			`not (userName ew ".com") and not (active eq false)`,
			`(userName sw "a" or userName sw "b") and not (externalId pr)`,
			// Not translatable (in part or whole): Go decides.
			`title co "engineer"`,
			`title sw "Engineer" and userName ew ".org"`,
			`displayName eq "danny"`,
			`name.familyName eq "O'Hara"`,
			`name.givenName sw "A" or userName eq "eve@example.com"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales"`,
			`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber pr`,
			`externalId sw "ext-"`,
			`userName gt "c"`,
			`userName lt "c" and userName ge "b"`,
			`meta.created lt "` + third + `"`,
			`not (title pr) and userName co "example"`,
		}
		all := list(t, c, "Users", url.Values{"count": {"200"}})
		resources, _ := all["Resources"].([]any)
		if len(resources) != len(users) {
			t.Fatalf("%d users listed, want %d", len(resources), len(users))
		}
		sawExact, sawGo := false, false
		for _, f := range filters {
			var want []string
			for _, r := range resources {
				m := r.(map[string]any)
				hit, err := scim.MatchFilter("Users", f, m)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if hit {
					want = append(want, m["id"].(string))
				}
			}
			got := list(t, c, "Users", url.Values{"filter": {f}})
			if ids := ids(t, got); !slices.Equal(ids, want) || int(got["totalResults"].(float64)) != len(want) {
				t.Errorf("%s: server %v (total %v), Go %v", f, ids, got["totalResults"], want)
			}
			if scim.Exact("Users", f) {
				sawExact = true
			} else {
				sawGo = true
			}
		}
		if !sawExact || !sawGo {
			t.Fatal("the filters should exercise both SQL and Go evaluation")
		}
	})
}

func TestPaging(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		users := seedUsers(t, c)
		var all []string
		for _, u := range users {
			all = append(all, u["id"].(string))
		}
		cases := []struct {
			filter             string
			start, count       string
			wantStart, wantLen int
			wantIDs            []string
			wantTotal          int
		}{
			{"", "", "", 1, 7, all, 7},
			{"", "1", "2", 1, 2, all[:2], 7}, // Okta's test connection
			{"", "3", "2", 3, 2, all[2:4], 7},
			{"", "6", "5", 6, 2, all[5:], 7},
			{"", "8", "5", 8, 0, nil, 7},
			{"", "0", "3", 1, 3, all[:3], 7}, // below 1 means 1
			{"", "-4", "", 1, 7, all, 7},
			{"", "1", "0", 1, 0, nil, 7},  // totals only
			{"", "1", "-1", 1, 0, nil, 7}, // negative means 0
			{"", "2", "1000", 2, 6, all[1:], 7},
			// The same through Go evaluation.
			{`name.givenName pr`, "3", "2", 3, 2, all[2:4], 7},
			{`name.givenName pr`, "7", "10", 7, 1, all[6:], 7},
			{`name.givenName pr`, "1", "0", 1, 0, nil, 7},
			{`title co "Engineer"`, "2", "1", 2, 1, []string{all[2]}, 2},
		}
		for _, tc := range cases {
			q := url.Values{}
			for k, v := range map[string]string{"filter": tc.filter, "startIndex": tc.start, "count": tc.count} {
				if v != "" {
					q.Set(k, v)
				}
			}
			got := list(t, c, "Users", q)
			if int(got["startIndex"].(float64)) != tc.wantStart || int(got["itemsPerPage"].(float64)) != tc.wantLen ||
				int(got["totalResults"].(float64)) != tc.wantTotal || !slices.Equal(ids(t, got), tc.wantIDs) {
				t.Errorf("%v: start %v items %v total %v ids %v; want %d %d %d %v", q, got["startIndex"], got["itemsPerPage"],
					got["totalResults"], ids(t, got), tc.wantStart, tc.wantLen, tc.wantTotal, tc.wantIDs)
			}
		}
		scimError(t, c.do(t, http.MethodGet, "/Users?count=ten", nil), http.StatusBadRequest, "invalidValue")
		scimError(t, c.do(t, http.MethodGet, "/Users?startIndex=x", nil), http.StatusBadRequest, "invalidValue")
		for _, bad := range []string{`userName eq`, `nosuch eq "x"`, `active gt true`, `userName eq "a" and (`} {
			scimError(t, c.do(t, http.MethodGet, "/Users?filter="+url.QueryEscape(bad), nil), http.StatusBadRequest, "invalidFilter")
		}

		// POST .search takes the same parameters in a body.
		got := ok(t, c.do(t, http.MethodPost, "/Users/.search", map[string]any{
			"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:SearchRequest"},
			"filter":  `userName ew ".org"`, "startIndex": 1, "count": 1, "attributes": []string{"userName"}}), http.StatusOK)
		res := got["Resources"].([]any)
		if got["totalResults"] != 2.0 || len(res) != 1 || len(res[0].(map[string]any)) != 3 { // schemas, id, userName
			t.Errorf(".search: %v", got)
		}
	})
}

func TestAttributesSelection(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		users := seedUsers(t, c)
		id := users[2]["id"].(string)
		keys := func(m map[string]any) []string {
			var k []string
			for key := range m {
				k = append(k, key)
			}
			slices.Sort(k)
			return k
		}
		got := ok(t, c.do(t, http.MethodGet, "/Users/"+id+"?attributes=userName,name.familyName,"+ent+":department", nil), http.StatusOK)
		if want := []string{"id", "name", "schemas", ent, "userName"}; !slices.Equal(keys(got), want) {
			t.Errorf("attributes: keys %v, want %v", keys(got), want)
		}
		if want := []string{"familyName"}; !slices.Equal(keys(got["name"].(map[string]any)), want) {
			t.Errorf("name keys %v", keys(got["name"].(map[string]any)))
		}
		if want := []string{"department"}; !slices.Equal(keys(got[ent].(map[string]any)), want) {
			t.Errorf("extension keys %v", keys(got[ent].(map[string]any)))
		}
		got = ok(t, c.do(t, http.MethodGet, "/Users/"+id+"?excludedAttributes=emails,meta,name.givenName,id", nil), http.StatusOK)
		if _, has := got["emails"]; has {
			t.Error("emails not excluded")
		}
		if _, has := got["meta"]; has {
			t.Error("meta not excluded")
		}
		if got["id"] != id || get(got, "name|givenName") != nil || get(got, "name|familyName") != "Cole" {
			t.Errorf("excludedAttributes: %v", got)
		}
		// Attribute names are case-insensitive.
		got = ok(t, c.do(t, http.MethodGet, "/Users?count=2&attributes=USERNAME,Active", nil), http.StatusOK)
		for _, r := range got["Resources"].([]any) {
			if want := []string{"active", "id", "schemas", "userName"}; !slices.Equal(keys(r.(map[string]any)), want) {
				t.Errorf("list attributes: %v", keys(r.(map[string]any)))
			}
		}
		// On writes too.
		body := user("proj@example.com", "P", "Roj")
		got = ok(t, c.do(t, http.MethodPost, "/Users?attributes=userName", body), http.StatusCreated)
		if want := []string{"id", "schemas", "userName"}; !slices.Equal(keys(got), want) {
			t.Errorf("POST attributes: %v", keys(got))
		}
	})
}

func TestAuthAndErrors(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		u := createUser(t, c, user("auth@example.com", "A", "Uth"))
		do := func(key string, headers map[string]string) *apptest.Response {
			h := map[string]string{}
			if key != "" {
				h["Authorization"] = "Bearer " + key
			}
			for k, v := range headers {
				h[k] = v
			}
			return s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/scim/v2/Users", Headers: h})
		}
		r := do("", nil)
		scimError(t, r, http.StatusUnauthorized, "")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		// A bad key is refused by the shared middleware, in SCIM's format here.
		r = do("rk_nosuchkeyxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", nil)
		scimError(t, r, http.StatusUnauthorized, "")
		if r.Header.Get("WWW-Authenticate") == "" {
			t.Error("401 without WWW-Authenticate")
		}
		// Keys without the scim scope, even with every other one, are refused.
		ok(t, do(c.tenant.Key, nil), http.StatusOK) // apptest's tenant key holds every scope, scim included
		noSCIM := c.tenant.NewKey(t, "users.write", "groups.write", "events.readonly")
		for _, path := range []string{"/Users", "/Users/" + u["id"].(string), "/Groups", "/ServiceProviderConfig"} {
			scimError(t, s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/scim/v2" + path,
				Headers: map[string]string{"Authorization": "Bearer " + noSCIM}}), http.StatusForbidden, "")
		}
		// The scim scope grants nothing on the REST API.
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: c.key}).Problem(t, http.StatusForbidden)
		// Wrong media type; unknown endpoints and methods.
		r = s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/scim/v2/Users", Body: "userName=x",
			Headers: map[string]string{"Authorization": "Bearer " + c.key, "Content-Type": "application/x-www-form-urlencoded"}})
		scimError(t, r, http.StatusUnsupportedMediaType, "")
		ok(t, s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/scim/v2/Users", Body: user("json@example.com", "J", "S"),
			Headers: map[string]string{"Authorization": "Bearer " + c.key, "Content-Type": "application/json"}}), http.StatusCreated)
		scimError(t, c.do(t, http.MethodPost, "/Users", "{not json"), http.StatusBadRequest, "invalidSyntax")
		scimError(t, c.do(t, http.MethodGet, "/Nothing", nil), http.StatusNotFound, "")
		scimError(t, c.do(t, http.MethodDelete, "/Users", nil), http.StatusMethodNotAllowed, "")
		scimError(t, c.do(t, http.MethodPost, "/Bulk", map[string]any{}), http.StatusNotImplemented, "")
		// Endpoint names are matched case-insensitively; a trailing slash is fine.
		ok(t, c.do(t, http.MethodGet, "/users/", nil), http.StatusOK)

		// Rate limits and idempotency refusals come from shared middleware:
		// still SCIM errors, still with their headers.
		limited := c.tenant.NewKeyWithLimit(t, 1, "scim")
		lim := func() *apptest.Response {
			return s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/scim/v2/Users?count=1",
				Headers: map[string]string{"Authorization": "Bearer " + limited}})
		}
		ok(t, lim(), http.StatusOK)
		r = lim()
		scimError(t, r, http.StatusTooManyRequests, "")
		if r.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		first := c.do(t, http.MethodPost, "/Users", user("idem@example.com", "I", "Dem"), "Idempotency-Key", "k1")
		ok(t, first, http.StatusCreated)
		again := c.do(t, http.MethodPost, "/Users", user("idem@example.com", "I", "Dem"), "Idempotency-Key", "k1")
		ok(t, again, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
			t.Error("idempotent replay differs")
		}
		scimError(t, c.do(t, http.MethodPost, "/Users", user("other@example.com", "O", "T"), "Idempotency-Key", "k1"),
			http.StatusUnprocessableEntity, "")
	})
}

func TestCrossWorkspace(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		a, b := newClient(t, s), newClient(t, s)
		ua := createUser(t, a, user("same@example.com", "A", "One"))
		ub := createUser(t, b, user("same@example.com", "B", "Two")) // the same email in another workspace is fine
		gb := ok(t, b.do(t, http.MethodPost, "/Groups", map[string]any{"displayName": "Team",
			"members": []any{map[string]any{"value": ub["id"]}}}), http.StatusCreated)
		ga := ok(t, a.do(t, http.MethodPost, "/Groups", map[string]any{"displayName": "Team"}), http.StatusCreated)
		uid, gid := ub["id"].(string), gb["id"].(string)
		for _, r := range []*apptest.Response{
			a.do(t, http.MethodGet, "/Users/"+uid, nil),
			a.do(t, http.MethodPut, "/Users/"+uid, user("x@example.com", "X", "Y")),
			a.do(t, http.MethodPatch, "/Users/"+uid, patchBody(op("replace", "active", false))),
			a.do(t, http.MethodDelete, "/Users/"+uid, nil),
			a.do(t, http.MethodGet, "/Groups/"+gid, nil),
			a.do(t, http.MethodPut, "/Groups/"+gid, map[string]any{"displayName": "Stolen"}),
			a.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("replace", "displayName", "Stolen"))),
			a.do(t, http.MethodDelete, "/Groups/"+gid, nil),
		} {
			scimError(t, r, http.StatusNotFound, "")
		}
		got := list(t, a, "Users", url.Values{"filter": {`userName eq "same@example.com"`}})
		if ids := ids(t, got); len(ids) != 1 || ids[0] != ua["id"] {
			t.Errorf("workspace A sees %v", ids)
		}
		got = list(t, a, "Groups", url.Values{"filter": {fmt.Sprintf(`members[value eq "%s"]`, uid)}})
		if len(ids(t, got)) != 0 {
			t.Errorf("workspace A sees B's memberships")
		}
		// B's user cannot join A's group.
		scimError(t, a.do(t, http.MethodPatch, "/Groups/"+ga["id"].(string), patchBody(op("add", "members",
			[]any{map[string]any{"value": uid}}))), http.StatusBadRequest, "invalidValue")
		ok(t, b.do(t, http.MethodGet, "/Users/"+uid, nil), http.StatusOK)
		if get(ok(t, b.do(t, http.MethodGet, "/Groups/"+gid, nil), http.StatusOK), "displayName") != "Team" {
			t.Error("B's group changed")
		}
	})
}

func TestDiscovery(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		spc := ok(t, c.do(t, http.MethodGet, "/ServiceProviderConfig", nil), http.StatusOK)
		if get(spc, "patch|supported") != true || get(spc, "etag|supported") != true || get(spc, "bulk|supported") != false ||
			get(spc, "filter|maxResults") != 200.0 {
			t.Errorf("ServiceProviderConfig: %v", spc)
		}
		rts := ok(t, c.do(t, http.MethodGet, "/ResourceTypes", nil), http.StatusOK)
		if rts["totalResults"] != 2.0 {
			t.Errorf("ResourceTypes: %v", rts)
		}
		rt := ok(t, c.do(t, http.MethodGet, "/ResourceTypes/User", nil), http.StatusOK)
		if rt["endpoint"] != "/Users" || get(rt, "schema") != "urn:ietf:params:scim:schemas:core:2.0:User" {
			t.Errorf("ResourceType User: %v", rt)
		}
		schemas := ok(t, c.do(t, http.MethodGet, "/Schemas", nil), http.StatusOK)
		if schemas["totalResults"] != 3.0 {
			t.Errorf("Schemas: %v", schemas)
		}
		sc := ok(t, c.do(t, http.MethodGet, "/Schemas/"+ent, nil), http.StatusOK)
		if len(sc["attributes"].([]any)) != 6 {
			t.Errorf("enterprise schema: %v", sc)
		}
		scimError(t, c.do(t, http.MethodGet, "/Schemas/urn:nope", nil), http.StatusNotFound, "")
		scimError(t, c.do(t, http.MethodGet, "/ResourceTypes?filter="+url.QueryEscape(`id eq "User"`), nil), http.StatusForbidden, "")
		scimError(t, c.do(t, http.MethodPost, "/Schemas", map[string]any{}), http.StatusMethodNotAllowed, "")
	})
}
