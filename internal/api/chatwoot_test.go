package api_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// TestChatwootTokenHeader checks that Chatwoot's token header is read under
// every spelling clients send (Rack treats '-' and '_' alike), on every face.
func TestChatwootTokenHeader(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, name := range []string{"api_access_token", "Api-Access-Token", "api-access-token", "API_ACCESS_TOKEN"} {
			for _, path := range []string{"/api/v1/users", "/platform/api/v1/users", "/openapi/v1/users", "/scim/v2/Users"} {
				resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: path, Headers: map[string]string{name: tenant.Key}})
				if path == "/scim/v2/Users" && resp.Status == http.StatusForbidden {
					continue // authenticated; the all-scopes key is not a SCIM key
				}
				resp.Expect(t, http.StatusOK)
			}
			s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Headers: map[string]string{name: "rk_bad"}}).
				Problem(t, http.StatusUnauthorized)
		}
	})
}

// TestChatwootStatus checks GET /api, the n8n Chatwoot credential test: no
// token needed, Chatwoot's fields.
func TestChatwootStatus(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		m := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api"}).Expect(t, http.StatusOK).Map(t)
		for _, k := range []string{"version", "timestamp"} {
			if v, _ := m[k].(string); v == "" {
				t.Errorf("%s missing: %v", k, m)
			}
		}
		if m["queue_services"] != "ok" || m["data_services"] != "ok" {
			t.Errorf("status: %v", m)
		}
	})
}
