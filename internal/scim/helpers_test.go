package scim_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
)

// client talks SCIM to a test server as an identity provider would: a
// bearer key with the scim scope and application/scim+json.
type client struct {
	s      *apptest.Server
	tenant *apptest.Tenant
	key    string
}

func newClient(t *testing.T, s *apptest.Server) *client {
	t.Helper()
	tenant := s.Tenant(t)
	return &client{s: s, tenant: tenant, key: tenant.NewKey(t, access.SCIM)}
}

// do sends a SCIM request; headers are name, value pairs.
func (c *client) do(t *testing.T, method, path string, body any, headers ...string) *apptest.Response {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + c.key}
	if body != nil {
		h["Content-Type"] = "application/scim+json"
	}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	return c.s.Do(t, apptest.Request{Method: method, Path: "/scim/v2" + path, Body: body, Headers: h})
}

// ok checks the status and the SCIM media type, and decodes the body.
func ok(t *testing.T, r *apptest.Response, status int) map[string]any {
	t.Helper()
	r.Expect(t, status)
	if status == http.StatusNoContent || status == http.StatusNotModified {
		return nil
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/scim+json" {
		t.Fatalf("content type %q, want application/scim+json; body %s", ct, r.Body)
	}
	return r.Map(t)
}

// scimError checks a SCIM error response.
func scimError(t *testing.T, r *apptest.Response, status int, scimType string) map[string]any {
	t.Helper()
	m := ok(t, r, status)
	schemas, _ := m["schemas"].([]any)
	if len(schemas) != 1 || schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("not a SCIM error: %s", r.Body)
	}
	if st, _ := m["status"].(string); st != itoa(status) {
		t.Fatalf("status member %v, want the string %q: %s", m["status"], itoa(status), r.Body)
	}
	if got, _ := m["scimType"].(string); got != scimType {
		t.Fatalf("scimType %q, want %q: %s", got, scimType, r.Body)
	}
	return m
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// get reads a value by a dotted path of object keys ("name.givenName").
func get(m map[string]any, path string) any {
	var cur any = m
	for _, k := range strings.Split(path, "|") {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[k]
	}
	return cur
}

func createUser(t *testing.T, c *client, body map[string]any) map[string]any {
	t.Helper()
	if _, ok := body["schemas"]; !ok {
		body["schemas"] = []string{"urn:ietf:params:scim:schemas:core:2.0:User"}
	}
	return ok(t, c.do(t, http.MethodPost, "/Users", body), http.StatusCreated)
}

func user(userName, given, family string) map[string]any {
	return map[string]any{
		"schemas":  []string{"urn:ietf:params:scim:schemas:core:2.0:User"},
		"userName": userName,
		"name":     map[string]any{"givenName": given, "familyName": family},
		"emails":   []any{map[string]any{"value": userName, "type": "work", "primary": true}},
		"active":   true,
	}
}

func ids(t *testing.T, list map[string]any) []string {
	t.Helper()
	var out []string
	res, _ := list["Resources"].([]any)
	for _, r := range res {
		out = append(out, r.(map[string]any)["id"].(string))
	}
	return out
}
