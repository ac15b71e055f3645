package scim_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// eventCount counts a workspace's events of one type: SCIM writes must go
// through the operations, which record them.
func eventCount(t *testing.T, s *apptest.Server, ws int64, typ string) int {
	t.Helper()
	var n int
	err := s.App.DB.Read().QueryRowContext(context.Background(),
		`SELECT count(*) FROM events WHERE workspace_id = $1 AND type = $2`, ws, typ).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func patchBody(ops ...map[string]any) map[string]any {
	list := make([]any, len(ops))
	for i, o := range ops {
		list[i] = o
	}
	return map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": list}
}

func op(o, path string, value any) map[string]any {
	m := map[string]any{"op": o}
	if path != "" {
		m["path"] = path
	}
	if value != nil {
		m["value"] = value
	}
	return m
}

func TestUserLifecycle(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		body := user("ada@example.com", "Ada", "Lovelace")
		body["externalId"] = "00u1abcd"
		body["title"] = "Analyst"
		body["timezone"] = "Europe/London"
		r := c.do(t, http.MethodPost, "/Users", body)
		u := ok(t, r, http.StatusCreated)
		id, _ := u["id"].(string)
		meta, _ := u["meta"].(map[string]any)
		if id == "" || meta["resourceType"] != "User" || r.Header.Get("Location") != meta["location"] ||
			!strings.HasSuffix(r.Header.Get("Location"), "/scim/v2/Users/"+id) {
			t.Fatalf("created user: %s (Location %q)", r.Body, r.Header.Get("Location"))
		}
		if et := r.Header.Get("ETag"); et == "" || et != meta["version"] || !strings.HasPrefix(et, `W/"`) {
			t.Fatalf("ETag %q, meta.version %v", et, meta["version"])
		}
		for path, want := range map[string]any{"userName": "ada@example.com", "externalId": "00u1abcd", "active": true,
			"name|formatted": "Ada Lovelace", "name|givenName": "Ada", "name|familyName": "Lovelace", "title": "Analyst",
			"timezone": "Europe/London", "preferredLanguage": "en"} {
			if got := get(u, path); got != want {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}
		if eventCount(t, s, c.tenant.ID, "user.created") != 1 {
			t.Error("no user.created event")
		}
		// The same person on the REST API.
		rest := c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		if rest["email"] != "ada@example.com" || rest["name"] != "Ada Lovelace" || rest["occupation"] != "Analyst" {
			t.Fatalf("REST view: %v", rest)
		}

		// Okta relies on 409 uniqueness for an existing userName, in any case.
		scimError(t, c.do(t, http.MethodPost, "/Users", user("ADA@example.com", "A", "L")), http.StatusConflict, "uniqueness")
		scimError(t, c.do(t, http.MethodGet, "/Users/nosuchuser", nil), http.StatusNotFound, "")

		// PUT replaces: title and externalId not sent are cleared; the name changes.
		put := user("ada@example.com", "Augusta Ada", "King")
		got := ok(t, c.do(t, http.MethodPut, "/Users/"+id, put), http.StatusOK)
		if get(got, "title") != nil || get(got, "externalId") != nil || get(got, "name|formatted") != "Augusta Ada King" {
			t.Fatalf("after PUT: %v", got)
		}
		if get(got, "timezone") != "Europe/London" {
			t.Errorf("PUT without timezone changed it: %v", get(got, "timezone"))
		}

		// active=false deactivates and never deletes.
		got = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "", map[string]any{"active": false}))), http.StatusOK)
		if got["active"] != false {
			t.Fatalf("after deactivate: %v", got)
		}
		rest = c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		if rest["status"] != "deactivated" {
			t.Fatalf("REST status %v", rest["status"])
		}
		list := ok(t, c.do(t, http.MethodGet, "/Users?filter="+url.QueryEscape(`active eq false`), nil), http.StatusOK)
		if got := ids(t, list); len(got) != 1 || got[0] != id {
			t.Fatalf("active eq false: %v", got)
		}
		got = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "active", true))), http.StatusOK)
		if got["active"] != true {
			t.Fatalf("after reactivate: %v", got)
		}
		for typ, want := range map[string]int{"user.updated": 1, "user.deactivated": 1, "user.reactivated": 1} {
			if n := eventCount(t, s, c.tenant.ID, typ); n != want {
				t.Errorf("%d %s events, want %d", n, typ, want)
			}
		}

		// DELETE removes for good.
		ok(t, c.do(t, http.MethodDelete, "/Users/"+id, nil), http.StatusNoContent)
		scimError(t, c.do(t, http.MethodGet, "/Users/"+id, nil), http.StatusNotFound, "")
		scimError(t, c.do(t, http.MethodDelete, "/Users/"+id, nil), http.StatusNotFound, "")
		c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusNotFound)
		if eventCount(t, s, c.tenant.ID, "user.deleted") != 1 {
			t.Error("no user.deleted event")
		}
	})
}

func TestUserMapping(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		ent := "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
		boss := createUser(t, c, user("boss@example.com", "Big", "Boss"))
		body := user("grace@example.com", "Grace", "Hopper")
		body["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User", ent}
		body["preferredLanguage"] = "de-DE"
		body["locale"] = "de_DE"
		body[ent] = map[string]any{"department": "Navy", "employeeNumber": 1906, "manager": map[string]any{"value": boss["id"]}}
		u := createUser(t, c, body)
		id := u["id"].(string)
		if get(u, "preferredLanguage") != "de-DE" || get(u, "locale") != "de_DE" {
			t.Errorf("language as sent: %v / %v", get(u, "preferredLanguage"), get(u, "locale"))
		}
		if get(u, ent+"|department") != "Navy" || get(u, ent+"|employeeNumber") != "1906" || get(u, ent+"|manager|value") != boss["id"] {
			t.Errorf("enterprise extension: %v", u[ent])
		}
		rest := c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		attrs, _ := rest["customAttributes"].(map[string]any)
		if rest["language"] != "de" || attrs["department"] != "Navy" || attrs["employeeNumber"] != "1906" || attrs["manager"] != boss["id"] {
			t.Fatalf("REST view: %v", rest)
		}
		// Changes made in Roster show through SCIM; stale echoes are dropped.
		c.tenant.Call(t, http.MethodPut, "/api/v1/users/"+id, map[string]any{"name": "Grace Brewster Hopper", "language": "fr",
			"customAttributes": map[string]any{"department": "Research"}}).Expect(t, http.StatusOK)
		u = ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil), http.StatusOK)
		if get(u, "name|formatted") != "Grace Brewster Hopper" || get(u, "name|familyName") != "Hopper" ||
			get(u, "preferredLanguage") != "fr" || get(u, "locale") != nil || get(u, ent+"|department") != "Research" {
			t.Fatalf("after REST update: %s", c.do(t, http.MethodGet, "/Users/"+id, nil).Body)
		}
		// A language Roster lacks leaves the language as it is, shown as sent.
		u = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "preferredLanguage", "xx-YY"))), http.StatusOK)
		if get(u, "preferredLanguage") != "xx-YY" {
			t.Errorf("preferredLanguage %v", get(u, "preferredLanguage"))
		}
		rest = c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		if rest["language"] != "fr" {
			t.Errorf("language %v", rest["language"])
		}
		// Removing an enterprise attribute removes the custom attribute.
		ok(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("remove", ent+":department", nil))), http.StatusOK)
		rest = c.tenant.Call(t, http.MethodGet, "/api/v1/users/"+id, nil).Expect(t, http.StatusOK).Map(t)
		if _, has := rest["customAttributes"].(map[string]any)["department"]; has {
			t.Errorf("department kept: %v", rest["customAttributes"])
		}
		// An invalid value is a SCIM invalidValue naming the SCIM attribute.
		e := scimError(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "timezone", "Mars/Olympus"))), http.StatusBadRequest, "invalidValue")
		if !strings.Contains(e["detail"].(string), "timezone") {
			t.Errorf("detail %v", e["detail"])
		}
		e = scimError(t, c.do(t, http.MethodPost, "/Users", user("not an email", "N", "E")), http.StatusBadRequest, "invalidValue")
		if !strings.Contains(e["detail"].(string), "userName") {
			t.Errorf("detail %v", e["detail"])
		}
		scimError(t, c.do(t, http.MethodPost, "/Users", map[string]any{"name": map[string]any{"givenName": "X"}}), http.StatusBadRequest, "invalidValue")
	})
}

// TestUserNameNotEmail: Entra's validator sends a userName that is not an
// email, with the email in emails; Roster keeps both.
func TestUserNameNotEmail(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		u := createUser(t, c, map[string]any{
			"schemas":    []string{"urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"},
			"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
			"userName":   "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
			"active":     true,
			"emails":     []any{map[string]any{"primary": true, "type": "work", "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}},
			"meta":       map[string]any{"resourceType": "User"},
			"name":       map[string]any{"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
			"roles":      []any{},
		})
		id := u["id"].(string)
		if u["userName"] != "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1" ||
			get(u, "emails") == nil || u["emails"].([]any)[0].(map[string]any)["value"] != "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" {
			t.Fatalf("created: %v", u)
		}
		for _, f := range []string{`userName eq "test_user_ab6490ee-1e48-479e-a20b-2d77186b5dd1"`,
			`emails[type eq "work"].value eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"`,
			`externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"`} {
			if got := ids(t, ok(t, c.do(t, http.MethodGet, "/Users?filter="+url.QueryEscape(f), nil), http.StatusOK)); len(got) != 1 || got[0] != id {
				t.Errorf("%s: %v", f, got)
			}
		}
		// The email alone is not the userName.
		if got := ids(t, ok(t, c.do(t, http.MethodGet, "/Users?filter="+url.QueryEscape(`userName eq "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"`), nil), http.StatusOK)); len(got) != 0 {
			t.Errorf("email matched as userName: %v", got)
		}
		dup := user("test_user_AB6490EE-1e48-479e-a20b-2d77186b5dd1", "X", "Y")
		dup["emails"] = []any{map[string]any{"value": "other@testuser.com", "primary": true}}
		scimError(t, c.do(t, http.MethodPost, "/Users", dup), http.StatusConflict, "uniqueness")
		// userName back to the email: the side row forgets it.
		u = ok(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "userName", "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"))), http.StatusOK)
		if u["userName"] != "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com" {
			t.Fatalf("userName %v", u["userName"])
		}
	})
}

// TestPatchIsAtomic: a PATCH with a failing operation writes nothing, not
// even the changes of the operations before it, and records no event.
func TestPatchIsAtomic(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		body := user("alan@example.com", "Alan", "Turing")
		body["title"] = "Mathematician"
		id := createUser(t, c, body)["id"].(string)
		before := c.do(t, http.MethodGet, "/Users/"+id, nil).Body
		// Fails in PATCH validation (second op).
		scimError(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(
			op("replace", "title", "Cryptanalyst"), op("replace", "active", "perhaps"))), http.StatusBadRequest, "invalidValue")
		// Fails in Roster's own validation, after the deactivation was
		// planned: users.update refuses the time zone.
		scimError(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(
			op("replace", "active", false), op("replace", "title", "Cryptanalyst"), op("replace", "timezone", "Nowhere/Land"))),
			http.StatusBadRequest, "invalidValue")
		// Fails on userName uniqueness, after the title change was planned.
		// (A failure after an operation has already written — rename, then
		// an unknown member — is in TestGroups.)
		other := createUser(t, c, map[string]any{"userName": "bletchley", "emails": []any{map[string]any{"value": "b@example.com", "primary": true}}})
		scimError(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(
			op("replace", "title", "Cryptanalyst"), op("replace", "userName", "BLETCHLEY"))), http.StatusConflict, "uniqueness")
		_ = other
		if after := c.do(t, http.MethodGet, "/Users/"+id, nil).Body; string(after) != string(before) {
			t.Fatalf("a failed PATCH changed the user:\nbefore %s\nafter  %s", before, after)
		}
		for _, typ := range []string{"user.updated", "user.deactivated"} {
			if n := eventCount(t, s, c.tenant.ID, typ); n != 0 {
				t.Errorf("%d %s events from failed PATCHes", n, typ)
			}
		}
	})
}

func TestETags(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		u := createUser(t, c, user("etag@example.com", "E", "Tag"))
		id := u["id"].(string)
		r := c.do(t, http.MethodGet, "/Users/"+id, nil)
		v1 := r.Header.Get("ETag")
		if v1 == "" || v1 != get(u, "meta|version") {
			t.Fatalf("ETag %q, created version %v", v1, get(u, "meta|version"))
		}
		ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil, "If-None-Match", v1), http.StatusNotModified)
		ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil, "If-None-Match", strings.TrimPrefix(v1, "W/")), http.StatusNotModified)
		ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil, "If-None-Match", `W/"other"`), http.StatusOK)

		r = c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "title", "One")), "If-Match", v1)
		ok(t, r, http.StatusOK)
		v2 := r.Header.Get("ETag")
		if v2 == v1 {
			t.Fatal("version unchanged by a change")
		}
		// A no-op write keeps the version: it is derived from the content.
		r = c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "title", "One")))
		if r.Header.Get("ETag") != v2 {
			t.Errorf("no-op PATCH changed the version")
		}
		scimError(t, c.do(t, http.MethodPatch, "/Users/"+id, patchBody(op("replace", "title", "Two")), "If-Match", v1), http.StatusPreconditionFailed, "")
		scimError(t, c.do(t, http.MethodPut, "/Users/"+id, user("etag@example.com", "E", "Tag"), "If-Match", v1), http.StatusPreconditionFailed, "")
		scimError(t, c.do(t, http.MethodDelete, "/Users/"+id, nil, "If-Match", v1), http.StatusPreconditionFailed, "")
		ok(t, c.do(t, http.MethodPut, "/Users/"+id, user("etag@example.com", "E", "Tag"), "If-Match", "*"), http.StatusOK)
		v3 := c.do(t, http.MethodGet, "/Users/"+id, nil).Header.Get("ETag")
		ok(t, c.do(t, http.MethodDelete, "/Users/"+id, nil, "If-Match", v3), http.StatusNoContent)

		// Groups: the version covers membership without loading members.
		g := ok(t, c.do(t, http.MethodPost, "/Groups", map[string]any{"displayName": "Tagged"}), http.StatusCreated)
		gid := g["id"].(string)
		gv1 := c.do(t, http.MethodGet, "/Groups/"+gid+"?excludedAttributes=members", nil).Header.Get("ETag")
		if gv1 != get(g, "meta|version") {
			t.Fatalf("group version %q vs %v", gv1, get(g, "meta|version"))
		}
		m := createUser(t, c, user("member@example.com", "M", "Ember"))
		ok(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("add", "members", []any{map[string]any{"value": m["id"]}})), "If-Match", gv1), http.StatusNoContent)
		gv2 := c.do(t, http.MethodGet, "/Groups/"+gid, nil).Header.Get("ETag")
		if gv2 == gv1 {
			t.Fatal("membership change kept the group version")
		}
		scimError(t, c.do(t, http.MethodPatch, "/Groups/"+gid, patchBody(op("remove", "members", nil)), "If-Match", gv1), http.StatusPreconditionFailed, "")
		ok(t, c.do(t, http.MethodGet, "/Groups/"+gid, nil, "If-None-Match", gv2), http.StatusNotModified)
	})
}
