package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
)

// TestDocsWorkOffline: /docs is Redoc from the binary; the page loads no
// script, style or font from another host.
func TestDocsWorkOffline(t *testing.T) {
	s := apptest.Start(t, db.SQLite)
	page := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/docs"}).Expect(t, http.StatusOK)
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("content type %q", ct)
	}
	html := string(page.Body)
	if strings.Contains(html, "//") && regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(html) {
		t.Fatalf("the page loads from another host: %s", html)
	}
	m := regexp.MustCompile(`<script src="([^"]+)"`).FindStringSubmatch(html)
	if m == nil || !strings.Contains(html, `spec-url="/openapi.json"`) {
		t.Fatalf("no local script or spec url: %s", html)
	}
	js := s.Do(t, apptest.Request{Method: http.MethodGet, Path: m[1]}).Expect(t, http.StatusOK)
	if len(js.Body) < 500_000 || !bytes.Contains(js.Body[:200], []byte("license")) ||
		!strings.HasPrefix(js.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("bundle: %d bytes, %q, %s", len(js.Body), js.Header.Get("Content-Type"), js.Body[:200])
	}
	// The one CDN the bundle could name would be for fonts; it must not.
	for _, host := range []string{"fonts.googleapis.com", "cdn.redoc.ly", "unpkg.com", "cdn.jsdelivr.net"} {
		if bytes.Contains(js.Body, []byte(host)) {
			t.Errorf("the bundle refers to %s", host)
		}
	}
}

type openAPIDoc struct {
	Servers []struct {
		URL string `json:"url"`
	} `json:"servers"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	Paths map[string]map[string]struct {
		OperationID string                 `json:"operationId"`
		Tags        []string               `json:"tags"`
		Security    *[]map[string][]string `json:"security"`
		RequestBody *struct {
			Content map[string]struct {
				Examples map[string]struct {
					Value json.RawMessage `json:"value"`
				} `json:"examples"`
			} `json:"content"`
		} `json:"requestBody"`
	} `json:"paths"`
}

// TestOpenAPIDocument: servers, a described tag for every operation, an
// explicit empty security on the operations that take no key, and the
// seeds' request examples, valid against their schemas.
func TestOpenAPIDocument(t *testing.T) {
	s := apptest.Start(t, db.SQLite)
	raw := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/openapi.json"}).Expect(t, http.StatusOK).Body
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "http://127.0.0.1:8080" {
		t.Errorf("servers: %+v", doc.Servers)
	}
	described := map[string]bool{}
	for _, tag := range doc.Tags {
		described[tag.Name] = tag.Description != ""
	}
	public := map[string]bool{"health.live": true, "health.ready": true, "catalog.get": true, "workflows.inbound_webhook": true,
		"chatwoot.status": true} // Chatwoot's GET /api, which n8n's credential test calls without a token
	examples := map[string]json.RawMessage{}
	c := jsonschema.NewCompiler()
	parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource("urn:roster:openapi", parsed); err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths {
		for method, o := range item {
			for _, tag := range o.Tags {
				if !described[tag] {
					t.Errorf("%s: tag %q has no description", o.OperationID, tag)
				}
			}
			switch {
			case o.Security == nil:
				t.Errorf("%s: no security", o.OperationID)
			case public[o.OperationID] != (len(*o.Security) == 0):
				t.Errorf("%s: security %v, public %v", o.OperationID, *o.Security, public[o.OperationID])
			}
			if o.RequestBody == nil {
				continue
			}
			for name, ex := range o.RequestBody.Content["application/json"].Examples {
				examples[o.OperationID] = ex.Value
				ptr := "/paths/" + strings.ReplaceAll(path, "/", "~1") + "/" + method + "/requestBody/content/application~1json/schema"
				sch, err := c.Compile("urn:roster:openapi#" + ptr)
				if err != nil {
					t.Fatalf("%s: %v", o.OperationID, err)
				}
				v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(ex.Value))
				if err := sch.Validate(v); err != nil {
					t.Errorf("%s: example %s does not match the request schema: %v", o.OperationID, name, err)
				}
			}
		}
	}
	// Seed 000's Create User request example, as written.
	var create map[string]any
	_ = json.Unmarshal(examples["users.create"], &create)
	if create["email"] != "jane@example.com" || create["customAttributes"].(map[string]any)["employee_id"] != "EMP123" {
		t.Errorf("users.create example: %s", examples["users.create"])
	}
	if _, ok := examples["courses.assign"]; !ok {
		t.Errorf("no courses.assign example")
	}
}

func TestServerURL(t *testing.T) {
	for _, c := range []struct{ public, addr, want string }{
		{"", "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"", ":9000", "http://127.0.0.1:9000"},
		{"", "0.0.0.0:80", "http://127.0.0.1:80"},
		{"", "[::1]:8080", "http://[::1]:8080"},
		{"https://roster.example.com/", "127.0.0.1:8080", "https://roster.example.com"},
		{"", "nonsense", "http://127.0.0.1:8080"},
	} {
		if got := api.ServerURL(c.public, c.addr); got != c.want {
			t.Errorf("ServerURL(%q, %q) = %q, want %q", c.public, c.addr, got, c.want)
		}
	}
}
