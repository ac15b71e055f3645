package automation_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/app/apptest"
)

func privateTargetsRefused(c *app.Config) { c.AllowPrivateTargets = false }

// http.request steps and webhook endpoints obey the same target rules:
// private hosts in any spelling and URLs with credentials are refused when
// saved, a mapped URL is checked when the step runs, and that refusal is not
// retried.
func TestOutboundTargetsAreCheckedWhenSavedAndRun(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		refusedURLs := []string{
			"http://127.0.0.1/", "http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://017700000001/",
			"http://0/", "http://169.254.169.254/latest/meta-data", "http://localhost:8080/", "http://10.1.2.3/",
			"https://user:secret@hooks.example.com/", "http://[::1]/", "http://1.2.3.4.5/",
		}
		for _, u := range refusedURLs {
			t.Run(u, func(t *testing.T) {
				p := tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "out", "definition": map[string]any{
					"trigger": map[string]any{"type": "manual"},
					"steps":   []any{map[string]any{"id": "call", "op": "http.request", "input": map[string]any{"url": u}}},
				}}).Problem(t, http.StatusUnprocessableEntity)
				if len(p.Errors["definition.steps[0].input.url"]) == 0 {
					t.Fatalf("workflow step: %+v", p)
				}
				p = tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": u, "eventTypes": []string{"user.created"}}).
					Problem(t, http.StatusUnprocessableEntity)
				if len(p.Errors["url"]) == 0 {
					t.Fatalf("webhook endpoint: %+v", p)
				}
			})
		}
		// A mapped URL is checked when the step runs; the refusal fails the
		// step at once, with its retries unused.
		w := createWorkflow(t, tenant, map[string]any{"trigger": map[string]any{"type": "manual"},
			"steps": []any{map[string]any{"id": "call", "op": "http.request", "retry": map[string]any{"attempts": 5, "backoffSeconds": 1},
				"input": map[string]any{"url": "{{ trigger.url }}"}}}})
		publish(t, tenant, w.ID)
		for _, u := range []string{"http://0x7f.1:9/", "http://localhost:9/"} {
			var started run
			tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/run", w.ID), map[string]any{"trigger": map[string]any{"url": u}}).
				Expect(t, http.StatusAccepted).JSON(t, &started)
			r := waitRun(t, tenant, w.ID, started.ID)
			if r.Status != "failed" || r.Steps[0].Attempts != 1 {
				t.Fatalf("run to %s: %+v", u, r)
			}
		}
	}, apptest.Option(privateTargetsRefused))
}
