package scim_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// Behaviour RFC 7643/7644 prescribe that identity providers and checkers
// rely on.
func TestSCIMAsTheRFCsWriteIt(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		// meta.lastModified equals meta.created on creates that carry
		// externalId and active:false (most identity-provider creates).
		created := ok(t, c.do(t, http.MethodPost, "/Users", map[string]any{
			"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
			"userName": "meta@example.com", "externalId": "ext-1", "active": false,
			"name": map[string]any{"givenName": "Me", "familyName": "Ta"}, "displayName": "Me Ta",
			"emails": []any{map[string]any{"value": "meta@example.com", "type": "work", "primary": true}},
		}), http.StatusCreated)
		meta := created["meta"].(map[string]any)
		if meta["created"] != meta["lastModified"] {
			t.Fatalf("created %v, lastModified %v on a fresh resource", meta["created"], meta["lastModified"])
		}
		id := created["id"].(string)
		got := ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil), http.StatusOK)
		if m := got["meta"].(map[string]any); m["created"] != m["lastModified"] {
			t.Fatalf("read back: %v", m)
		}

		// replace with a value filter that matches nothing: 400 noTarget.
		patch := func(ops ...map[string]any) *apptest.Response {
			return c.do(t, http.MethodPatch, "/Users/"+id, map[string]any{
				"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:PatchOp"}, "Operations": ops})
		}
		for _, path := range []string{`emails[type eq "home"].value`, `emails[type eq "home"]`} {
			scimError(t, patch(map[string]any{"op": "replace", "path": path, "value": "x@example.com"}), http.StatusBadRequest, "noTarget")
		}

		// remove displayName leaves it unassigned.
		after := ok(t, patch(map[string]any{"op": "remove", "path": "displayName"}), http.StatusOK)
		if v, present := after["displayName"]; present {
			t.Fatalf("displayName %v after remove", v)
		}
		if v, present := ok(t, c.do(t, http.MethodGet, "/Users/"+id, nil), http.StatusOK)["displayName"]; present {
			t.Fatalf("displayName %v read back after remove", v)
		}

		// A client that asks for application/json gets it.
		for _, accept := range []string{"application/json", "application/json, */*"} {
			r := c.do(t, http.MethodGet, "/Users/"+id, nil, "Accept", accept).Expect(t, http.StatusOK)
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Accept %s: Content-Type %q", accept, ct)
			}
			r = c.do(t, http.MethodGet, "/Users/nope", nil, "Accept", accept).Expect(t, http.StatusNotFound)
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Accept %s, error: Content-Type %q", accept, ct)
			}
		}

		// One realm, whether the key is missing or wrong.
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer rk_wrongwrongwrongwrongwrongwrongwrongwrongwrongwr"}} {
			r := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/scim/v2/Users", Headers: h}).Expect(t, http.StatusUnauthorized)
			if got := r.Header.Values("WWW-Authenticate"); len(got) != 1 || got[0] != `Bearer realm="roster"` {
				t.Fatalf("WWW-Authenticate %q", got)
			}
		}
	})
}
