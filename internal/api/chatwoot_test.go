package api_test

import (
	"net/http"
	"strconv"
	"strings"
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

// TestChatwootUnmappedGroups checks that the Chatwoot groups Roster does not
// provide answer 501 with the reason, and what to use instead where there is
// something.
func TestChatwootUnmappedGroups(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		acct := "/api/v1/accounts/" + strconv.FormatInt(tenant.ID, 10)
		cases := []struct {
			method, path, instead string
		}{
			{http.MethodGet, acct + "/contacts", "/api/v1/users"},
			{http.MethodPost, acct + "/contacts/filter", "/api/v1/users"},
			{http.MethodPost, acct + "/contacts/1/contact_inboxes", "/api/v1/users"},
			{http.MethodGet, acct + "/conversations/meta", ""},
			{http.MethodPost, acct + "/conversations/1/messages", ""},
			{http.MethodDelete, acct + "/conversations/1/messages/2", ""},
			{http.MethodPost, acct + "/conversations/1/assignments", ""},
			{http.MethodGet, acct + "/inboxes", ""},
			{http.MethodPost, acct + "/inbox_members", "teams"},
			{http.MethodPatch, acct + "/canned_responses/1", ""},
			{http.MethodGet, "/survey/responses/abc", ""},
			{http.MethodPost, acct + "/portals/1/articles", ""},
			{http.MethodGet, acct + "/agent_bots", "API key"},
			{http.MethodPost, "/platform/api/v1/agent_bots", "API key"},
			{http.MethodGet, acct + "/integrations/apps", "webhooks"},
			{http.MethodGet, acct + "/custom_filters?filter_type=contact", "/api/v1/users"},
			{http.MethodGet, "/api/v2/accounts/1/reports/summary", ""},
			{http.MethodPost, acct + "/automation_rules", "workflows"},
			{http.MethodGet, "/public/api/v1/inboxes/abc/contacts/def", ""},
		}
		for _, c := range cases {
			p := s.Do(t, apptest.Request{Method: c.method, Path: c.path, Headers: map[string]string{"Api-Access-Token": tenant.Key}}).
				Problem(t, http.StatusNotImplemented)
			if p.Code != "not_provided" || !strings.Contains(p.Message, "Roster does not provide Chatwoot's") || !strings.Contains(p.Message, c.instead) {
				t.Errorf("%s %s: %+v", c.method, c.path, p)
			}
		}
		// Other unknown paths stay 404.
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: acct + "/nonsense", Key: tenant.Key}).Problem(t, http.StatusNotFound)
	})
}
