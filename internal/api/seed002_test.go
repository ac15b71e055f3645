package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

const seedChatwootNode = "testdata/seeds/002_chatwoot_n8n_node.txt"

// Seed 002 documents the Chatwoot node's Create User: its properties (name,
// email, a password with upper and lower case, a digit and a special
// character, custom attributes) and the fields its output promises. The
// node itself runs in integrations/n8n-host; this replays the seed's field
// table against the platform face it calls.
func TestSeed002CreateUserAsDocumented(t *testing.T) {
	doc := readSeed(t, seedChatwootNode)
	out := doc[strings.Index(doc, "\nOutput\n"):strings.Index(doc, "\nDependencies\n")]
	promised := regexp.MustCompile(`([a-z_]+)- `).FindAllStringSubmatch(out, -1)
	if len(promised) != 5 {
		t.Fatalf("seed 002 output fields: %v", promised)
	}
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for _, header := range []string{"api_access_token", "Api-Access-Token", "api-access-token"} {
			email := strings.ToLower(header) + "@example.com"
			resp := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/platform/api/v1/users",
				Headers: map[string]string{header: tenant.Key},
				Body: map[string]any{"name": "New Hire", "email": email, "password": "Welcome1!",
					"custom_attributes": map[string]any{"campaign": "winter"}}}).Expect(t, http.StatusOK)
			got := resp.Map(t)
			for _, f := range promised {
				if _, ok := got[f[1]]; !ok {
					t.Fatalf("%s: create answered without %q: %s", header, f[1], resp.Body)
				}
			}
			if got["email"] != email || got["custom_attributes"].(map[string]any)["campaign"] != "winter" {
				t.Fatalf("%s: %s", header, resp.Body)
			}
		}
		// The troubleshooting notes: a weak password and a taken or malformed
		// email are refused with the reason in message, which n8n shows.
		for _, c := range []struct{ body map[string]any }{
			{map[string]any{"name": "W", "email": "weak@example.com", "password": "password"}},
			{map[string]any{"name": "M", "email": "not-an-email", "password": "Welcome1!"}},
		} {
			p := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/platform/api/v1/users",
				Headers: map[string]string{"Api-Access-Token": tenant.Key}, Body: c.body}).Problem(t, http.StatusUnprocessableEntity)
			if p.Message == "" || p.Message == "Validation failed" {
				t.Fatalf("message %q does not say why", p.Message)
			}
		}
	})
}
