package apptest

import (
	"strings"
	"testing"
)

// TestDocChecker: the checker refuses what a client generated from the
// document could not read, and leaves undocumented routes alone.
func TestDocChecker(t *testing.T) {
	doc := `{"openapi": "3.1.0", "paths": {
		"/api/v1/things/{id}": {"get": {"responses": {
			"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
			"204": {"description": "none"},
			"default": {"content": {"application/problem+json": {"schema": {"type": "object", "required": ["status"]}}}}}}},
		"/api/v1/things/special": {"get": {"responses": {
			"200": {"content": {"application/json": {"schema": {"type": "string"}}}}}}}},
		"components": {"schemas": {"Thing": {"type": "object", "additionalProperties": false, "required": ["id", "image"],
			"properties": {"id": {"type": "string"}, "image": {"type": ["object", "null"]}}}}}}`
	dc, err := newDocChecker([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	const thing = "/api/v1/things/1"
	for _, c := range []struct {
		path, ct, body string
		status         int
		wantErr        string
	}{
		{thing, "application/json", `{"id": "1", "image": null}`, 200, ""},
		{thing + "/", "application/json; charset=utf-8", `{"id": "1", "image": {}}`, 200, ""},
		{"/openapi/v1/things/1", "application/json", `{"id": "1", "image": null}`, 200, ""},
		{thing, "application/json", `{"id": 1, "image": null}`, 200, "does not match"},
		{thing, "application/json", `{"id": "1"}`, 200, "does not match"},
		{thing, "application/json", `{"id": "1", "image": null, "extra": 1}`, 200, "does not match"},
		{thing, "application/json", `not json`, 200, "not JSON"},
		{thing, "text/plain", `{"id": "1", "image": null}`, 200, "documented as"},
		{thing, "", ``, 204, ""},
		{thing, "application/json", `{}`, 204, "with a body"},
		{thing, "application/problem+json", `{"status": 404}`, 404, ""},
		{thing, "application/problem+json", `{"title": "x"}`, 500, "does not match"},
		{"/api/v1/things/special", "application/json", `"yes"`, 200, ""},
		{"/api/v1/things/special", "application/json", `{"id": "1", "image": null}`, 200, "does not match"},
		{"/scim/v2/Users", "application/scim+json", `{}`, 200, ""},
	} {
		err := dc.check("GET", c.path, c.status, c.ct, []byte(c.body))
		if (err == nil) != (c.wantErr == "") || (err != nil && !strings.Contains(err.Error(), c.wantErr)) {
			t.Errorf("%s %d %s: %v, want %q", c.path, c.status, c.body, err, c.wantErr)
		}
	}
}
