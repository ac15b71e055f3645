package api_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
)

func TestOpenAPIAndCatalogComeFromTheRegistry(t *testing.T) {
	s := apptest.Start(t, db.SQLite)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/openapi.json"}).Expect(t, http.StatusOK).JSON(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for _, item := range doc.Paths {
		for _, operation := range item {
			if id, ok := operation["operationId"].(string); ok {
				documented[id] = true
			}
		}
	}
	for _, reg := range []interface{ IDs() []string }{s.App.Server.Registry, s.App.Server.Platform} {
		for _, id := range reg.IDs() {
			if !documented[id] {
				t.Errorf("operation %s missing from /openapi.json", id)
			}
		}
	}

	var catalog struct {
		Actions []struct {
			ID          string `json:"id"`
			Scope       string `json:"scope"`
			InputFields []struct {
				Key      string   `json:"key"`
				Type     string   `json:"type"`
				Required bool     `json:"required"`
				Choices  []string `json:"choices"`
			} `json:"inputFields"`
			OutputFields []struct {
				Key string `json:"key"`
			} `json:"outputFields"`
		} `json:"actions"`
	}
	s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/catalog"}).Expect(t, http.StatusOK).JSON(t, &catalog)
	listed := map[string]bool{}
	for _, a := range catalog.Actions {
		listed[a.ID] = true
		if op, ok := s.App.Registry.Lookup(a.ID); !ok || a.Scope != string(op.Meta().Scope) {
			t.Errorf("%s: catalog scope %q does not match the operation", a.ID, a.Scope)
		}
		if a.ID != "users.create" {
			continue
		}
		fields := map[string]bool{}
		for _, f := range a.InputFields {
			fields[f.Key] = f.Required
			if f.Key == "roleAlias" && len(f.Choices) != 3 {
				t.Errorf("roleAlias choices %v", f.Choices)
			}
		}
		if !fields["name"] || !fields["email"] || fields["password"] {
			t.Errorf("users.create required flags wrong: %v", fields)
		}
		if len(a.OutputFields) == 0 {
			t.Errorf("users.create has no output fields")
		}
	}
	for _, o := range s.App.Server.Registry.All() {
		m := o.Meta()
		if listed[m.ID] == m.Compat {
			t.Errorf("%s: listed in catalog = %v, compat = %v", m.ID, listed[m.ID], m.Compat)
		}
	}
}

func TestHealth(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/healthz"}).Expect(t, http.StatusOK)
		body := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/readyz"}).Expect(t, http.StatusOK).Map(t)
		if body["status"] != "ready" || body["schemaVersion"].(float64) < 1 {
			t.Fatalf("readyz: %v", body)
		}
		resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/healthz", Headers: map[string]string{"X-Request-Id": "trace-123"}})
		if resp.Header.Get("X-Request-Id") != "trace-123" {
			t.Fatalf("request id not echoed: %v", resp.Header)
		}
	})
}
