package automation_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db/dbtest"
	"github.com/rosterhq/roster/internal/mail/mailtest"
)

type workflow struct {
	ID          int64  `json:"id"`
	Status      string `json:"status"`
	Version     int    `json:"version"`
	WebhookPath string `json:"webhookPath"`
}

type run struct {
	ID     int64  `json:"id"`
	Status string `json:"status"`
	Error  string `json:"error"`
	Steps  []struct {
		StepID   string         `json:"stepId"`
		Status   string         `json:"status"`
		Attempts int            `json:"attempts"`
		Input    map[string]any `json:"input"`
		Output   any            `json:"output"`
		Error    string         `json:"error"`
	} `json:"steps"`
}

func createWorkflow(t *testing.T, tenant *apptest.Tenant, def map[string]any) workflow {
	t.Helper()
	var w workflow
	tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "test flow", "definition": def}).
		Expect(t, http.StatusCreated).JSON(t, &w)
	return w
}

func publish(t *testing.T, tenant *apptest.Tenant, id int64) {
	t.Helper()
	tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/publish", id), nil).Expect(t, http.StatusOK)
}

// waitRun polls until the run is no longer running.
func waitRun(t *testing.T, tenant *apptest.Tenant, wfID, runID int64) run {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var r run
		tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/workflows/%d/runs/%d", wfID, runID), nil).Expect(t, http.StatusOK).JSON(t, &r)
		if r.Status != "running" {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %d still running: %+v", runID, r)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestWebhookOnboardingFlowSendsEmail(t *testing.T) {
	smtp := mailtest.Start(t)
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		w := createWorkflow(t, tenant, map[string]any{
			"trigger":    map[string]any{"type": "webhook"},
			"conditions": []any{"trigger.body?.email != nil"},
			"steps": []any{
				map[string]any{"id": "find_user", "op": "users.list", "input": map[string]any{"email": "{{ lower(trigger.body.email) }}", "limit": 1}},
				map[string]any{"id": "create_user", "op": "users.create", "if": "len(steps.find_user.users) == 0", "input": map[string]any{
					"name": "{{ trim(trigger.body.name) }}", "email": "{{ lower(trigger.body.email) }}",
					"customAttributes": map[string]any{"department": "{{ upper(trigger.body.department) }}"}}},
				map[string]any{"id": "welcome", "op": "email.send", "input": map[string]any{
					"to": "{{ steps.create_user.email }}", "subject": "Welcome {{ steps.create_user.name }}", "text": "Your id is {{ steps.create_user.id }}"}},
			},
		})
		if !strings.HasPrefix(w.WebhookPath, "/hooks/in/whk_") {
			t.Fatalf("webhook path %q", w.WebhookPath)
		}
		// A draft does not accept calls yet.
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: w.WebhookPath, Body: map[string]any{"email": "x@example.com"}}).Problem(t, http.StatusConflict)
		publish(t, tenant, w.ID)
		resp := s.Do(t, apptest.Request{Method: http.MethodPost, Path: w.WebhookPath,
			Body: map[string]any{"email": "Grace@Example.com", "name": " Grace Hopper ", "department": "navy"}}).Expect(t, http.StatusAccepted)
		var started run
		resp.JSON(t, &started)
		r := waitRun(t, tenant, w.ID, started.ID)
		if r.Status != "succeeded" || len(r.Steps) != 3 {
			t.Fatalf("run: %+v", r)
		}
		if r.Steps[1].Input["email"] != "grace@example.com" || r.Steps[1].Input["name"] != "Grace Hopper" {
			t.Fatalf("mapped input: %+v", r.Steps[1].Input)
		}
		var page struct {
			Users []struct {
				ID               string         `json:"id"`
				CustomAttributes map[string]any `json:"customAttributes"`
			}
		}
		tenant.Call(t, http.MethodGet, "/api/v1/users?email=grace@example.com", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if len(page.Users) != 1 || page.Users[0].CustomAttributes["department"] != "NAVY" {
			t.Fatalf("user not created: %+v", page)
		}
		var got *mailtest.Message
		for _, m := range smtp.Messages() {
			if len(m.To) == 1 && m.To[0] == "grace@example.com" {
				got = &m
			}
		}
		if got == nil || !strings.Contains(got.Data, "Subject: Welcome Grace Hopper") || !strings.Contains(got.Data, page.Users[0].ID) {
			t.Fatalf("welcome email: %+v", got)
		}
		// The conditions skip a body without email; an unknown token is 404.
		resp = s.Do(t, apptest.Request{Method: http.MethodPost, Path: w.WebhookPath, Body: map[string]any{"name": "nobody"}}).Expect(t, http.StatusAccepted)
		resp.JSON(t, &started)
		if started.Status != "skipped" {
			t.Fatalf("conditions: %+v", started)
		}
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/hooks/in/whk_nope", Body: map[string]any{}}).Problem(t, http.StatusNotFound)
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: w.WebhookPath, Body: "not json"}).Problem(t, http.StatusUnprocessableEntity)
	}, apptest.WithSMTP(smtp.URL()))
}

func TestEventTriggerAndLoopGuard(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		// Every update triggers another update: the chain must stop.
		w := createWorkflow(t, tenant, map[string]any{
			"trigger": map[string]any{"type": "event", "event": "user.updated"},
			"steps": []any{map[string]any{"id": "touch", "op": "users.update", "input": map[string]any{
				"id": "{{ trigger.data.id }}", "occupation": "{{ trigger.data.occupation + '+' }}"}}},
		})
		publish(t, tenant, w.ID)
		greeter := createWorkflow(t, tenant, map[string]any{
			"trigger": map[string]any{"type": "event", "event": "user.created", "filter": "trigger.data.roleAlias == 'manager'"},
			"steps": []any{map[string]any{"id": "title", "op": "users.update", "input": map[string]any{
				"id": "{{ trigger.data.id }}", "occupation": "M"}}},
		})
		publish(t, tenant, greeter.ID)
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Learner", "email": "l@example.com"}).Expect(t, http.StatusCreated)
		var u struct{ ID, Occupation string }
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Boss", "email": "b@example.com", "roleAlias": "manager"}).
			Expect(t, http.StatusCreated).JSON(t, &u)
		deadline := time.Now().Add(20 * time.Second)
		for {
			tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &u)
			if u.Occupation == "M++++" || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // would a sixth link start?
		tenant.Call(t, http.MethodGet, "/api/v1/users/"+u.ID, nil).Expect(t, http.StatusOK).JSON(t, &u)
		if u.Occupation != "M++++" {
			t.Fatalf("occupation %q: the chain should stop after four updates (five runs deep)", u.Occupation)
		}
		var runs struct{ TotalCount int }
		tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/workflows/%d/runs", greeter.ID), nil).Expect(t, http.StatusOK).JSON(t, &runs)
		if runs.TotalCount != 1 {
			t.Fatalf("filter let %d runs through, want 1 (the manager)", runs.TotalCount)
		}
	})
}

func TestRetriesAndErrorPaths(t *testing.T) {
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if calls.Add(1) <= 2 {
			http.Error(w, "try later", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"echo": %s}`, body)
	}))
	defer flaky.Close()
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		calls.Store(0)
		tenant := s.Tenant(t)
		w := createWorkflow(t, tenant, map[string]any{
			"trigger": map[string]any{"type": "manual"},
			"steps": []any{
				map[string]any{"id": "call", "op": "http.request", "retry": map[string]any{"attempts": 4, "backoffSeconds": 0.05},
					"input": map[string]any{"url": flaky.URL, "method": "POST", "body": map[string]any{"n": "{{ trigger.n }}"}}},
				map[string]any{"id": "missing", "op": "users.get", "input": map[string]any{"id": "nobody"}, "onError": "continue"},
				map[string]any{"id": "again", "op": "users.get", "input": map[string]any{"id": "nobody"}, "onError": "path",
					"errorSteps": []any{map[string]any{"id": "note", "op": "users.create", "input": map[string]any{
						"name": "Error handler", "email": "handler@example.com", "occupation": "{{ steps.call.json.echo.n }}"}}}},
				map[string]any{"id": "never", "op": "users.create", "input": map[string]any{"name": "X", "email": "never@example.com"}},
			},
		})
		var started run
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/run", w.ID), map[string]any{"trigger": map[string]any{"n": 7}}).
			Expect(t, http.StatusAccepted).JSON(t, &started)
		r := waitRun(t, tenant, w.ID, started.ID)
		if r.Status != "failed" || len(r.Steps) != 4 {
			t.Fatalf("run: %+v", r)
		}
		steps := map[string]int{}
		for i, st := range r.Steps {
			steps[st.StepID] = i
		}
		call := r.Steps[steps["call"]]
		if call.Status != "succeeded" || call.Attempts != 3 || calls.Load() != 3 {
			t.Fatalf("retried step: %+v, %d calls", call, calls.Load())
		}
		// A not-found is permanent: no retries, then onError decides.
		if m := r.Steps[steps["missing"]]; m.Status != "failed" || m.Attempts != 1 || !strings.Contains(m.Error, "not found") {
			t.Fatalf("continue step: %+v", m)
		}
		if n := r.Steps[steps["note"]]; n.Status != "succeeded" {
			t.Fatalf("error path step: %+v", n)
		}
		if _, ran := steps["never"]; ran {
			t.Fatal("a step after an error path ran")
		}
		var u struct{ Users []struct{ Occupation string } }
		tenant.Call(t, http.MethodGet, "/api/v1/users?email=handler@example.com", nil).Expect(t, http.StatusOK).JSON(t, &u)
		if len(u.Users) != 1 || u.Users[0].Occupation != "7" {
			t.Fatalf("error path output mapping: %+v", u)
		}
	})
}

func TestDryRunHasNoSideEffects(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		w := createWorkflow(t, tenant, map[string]any{
			"trigger": map[string]any{"type": "webhook"},
			"steps": []any{
				map[string]any{"id": "create_user", "op": "users.create", "input": map[string]any{"name": "{{ trigger.body.name }}", "email": "{{ trigger.body.email }}"}},
				map[string]any{"id": "route", "op": "branch", "branches": []any{
					map[string]any{"when": "trigger.body.vip == true", "steps": []any{map[string]any{"id": "vip", "op": "users.update",
						"input": map[string]any{"id": "{{ steps.create_user.id }}", "occupation": "VIP"}}}}},
					"else": []any{map[string]any{"id": "normal", "op": "users.update", "input": map[string]any{"id": "{{ steps.create_user.id }}", "occupation": "-"}}}},
			},
		})
		var res struct {
			Steps []struct {
				StepID string         `json:"stepId"`
				Runs   bool           `json:"runs"`
				Input  map[string]any `json:"input"`
			}
		}
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/test", w.ID), map[string]any{
			"trigger": map[string]any{"body": map[string]any{"name": "Ada", "email": "ada@example.com", "vip": true}}}).Expect(t, http.StatusOK).JSON(t, &res)
		byID := map[string]int{}
		for i, st := range res.Steps {
			byID[st.StepID] = i
		}
		if len(res.Steps) != 4 || res.Steps[byID["create_user"]].Input["email"] != "ada@example.com" ||
			!res.Steps[byID["vip"]].Runs || res.Steps[byID["normal"]].Runs || res.Steps[byID["vip"]].Input["id"] != "sample-id" {
			t.Fatalf("dry run: %+v", res.Steps)
		}
		if n := s.Count(t, "users"); n != 0 {
			t.Fatalf("dry run created %d users", n)
		}
	})
}

func TestWorkflowValidationAndAccess(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		p := tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "bad", "definition": map[string]any{
			"trigger": map[string]any{"type": "manual"},
			"steps": []any{
				map[string]any{"id": "a", "op": "users.create", "input": map[string]any{"name": "{{ upper( }}"}},
				map[string]any{"id": "b", "op": "users.fly"},
			}}}).Problem(t, http.StatusUnprocessableEntity)
		for _, field := range []string{"definition.steps[0].input.name", "definition.steps[0].input.email", "definition.steps[1].op"} {
			if _, ok := p.Errors[field]; !ok {
				t.Errorf("problem does not name %s: %+v", field, p.Errors)
			}
		}
		// A key may not build a workflow that does what the key may not.
		weak := tenant.NewKey(t, access.WorkflowsWrite)
		resp := s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/workflows", Key: weak, Body: map[string]any{"name": "sneaky",
			"definition": map[string]any{"trigger": map[string]any{"type": "manual"}, "steps": []any{
				map[string]any{"id": "a", "op": "users.delete", "input": map[string]any{"id": "x"}}}}}})
		if p := resp.Problem(t, http.StatusForbidden); len(p.Errors["definition.steps[0].op"]) == 0 {
			t.Fatalf("scope escalation: %+v", p)
		}
		w := createWorkflow(t, tenant, map[string]any{"trigger": map[string]any{"type": "manual"},
			"steps": []any{map[string]any{"id": "a", "op": "users.list"}}})
		var v2 workflow
		tenant.Call(t, http.MethodPut, fmt.Sprintf("/api/v1/workflows/%d", w.ID), map[string]any{"definition": map[string]any{
			"trigger": map[string]any{"type": "schedule", "cron": "*/5 * * * *"}, "steps": []any{map[string]any{"id": "a", "op": "users.list"}}}}).
			Expect(t, http.StatusOK).JSON(t, &v2)
		if v2.Version != 2 {
			t.Fatalf("version %d after a new definition", v2.Version)
		}
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/pause", w.ID), nil).Problem(t, http.StatusConflict)
		other := s.Tenant(t)
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/workflows/%d"}, {http.MethodPut, "/api/v1/workflows/%d"}, {http.MethodPost, "/api/v1/workflows/%d/publish"},
			{http.MethodPost, "/api/v1/workflows/%d/pause"}, {http.MethodPost, "/api/v1/workflows/%d/run"}, {http.MethodPost, "/api/v1/workflows/%d/test"},
			{http.MethodGet, "/api/v1/workflows/%d/runs"}, {http.MethodPost, "/api/v1/workflows/%d/webhook-token"}, {http.MethodDelete, "/api/v1/workflows/%d"},
		} {
			var body any
			if c.method != http.MethodGet && c.method != http.MethodDelete {
				body = map[string]any{}
			}
			other.Call(t, c.method, fmt.Sprintf(c.path, w.ID), body).Problem(t, http.StatusNotFound)
		}
		var list struct {
			Workflows  []workflow
			TotalCount int
		}
		tenant.Call(t, http.MethodGet, "/api/v1/workflows/", nil).Expect(t, http.StatusOK).JSON(t, &list)
		if list.TotalCount != 1 || list.Workflows[0].Status != "draft" {
			t.Fatalf("list: %+v", list)
		}
		tenant.Call(t, http.MethodDelete, fmt.Sprintf("/api/v1/workflows/%d", w.ID), nil).Expect(t, http.StatusNoContent)
	})
}

// TestRunSurvivesRestart stops the server while a run waits in a delay step
// and starts a new one on the same database: the run finishes.
func TestRunSurvivesRestart(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(string(dialect), func(t *testing.T) {
			first := apptest.Start(t, dialect)
			tenant := first.Tenant(t)
			w := createWorkflow(t, tenant, map[string]any{"trigger": map[string]any{"type": "manual"}, "steps": []any{
				map[string]any{"id": "wait", "op": "delay", "input": map[string]any{"seconds": 1}},
				map[string]any{"id": "make", "op": "users.create", "input": map[string]any{"name": "After restart", "email": "later@example.com"}},
			}})
			var started run
			tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/run", w.ID), map[string]any{}).Expect(t, http.StatusAccepted).JSON(t, &started)
			time.Sleep(200 * time.Millisecond)
			first.App.Close()
			second := apptest.Start(t, dialect, apptest.WithDatabaseURL(first.DatabaseURL))
			again := second.Adopt(tenant)
			r := waitRun(t, again, w.ID, started.ID)
			if r.Status != "succeeded" || second.Count(t, "users") != 1 {
				t.Fatalf("after restart: %+v", r)
			}
		})
	}
}

// TestBulkImportTriggersPerEvent: a bulk call records its events as one
// batch, and the hooks handle the batch at once; still every created user
// starts its own run with its own trigger data (running or skipped by the
// conditions), gets its own webhook delivery, and an updated user records
// user.updated.
func TestBulkImportTriggersPerEvent(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var old struct{ ID string }
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "Old", "email": "old@example.com"}).
			Expect(t, http.StatusCreated).JSON(t, &old)
		receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		defer receiver.Close()
		var endpoint struct{ ID string }
		tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": receiver.URL, "eventTypes": []string{"user.created"}}).
			Expect(t, http.StatusCreated).JSON(t, &endpoint)
		locate := createWorkflow(t, tenant, map[string]any{
			"trigger":    map[string]any{"type": "event", "event": "user.created"},
			"conditions": []any{"trigger.data.roleAlias == 'learner'"},
			"steps": []any{map[string]any{"id": "locate", "op": "users.update", "input": map[string]any{
				"id": "{{ trigger.data.id }}", "location": "{{ 'L-' + trigger.data.name }}"}}},
		})
		publish(t, tenant, locate.ID)
		// Only the bulk update sets this occupation; locate's updates do not.
		onUpdate := createWorkflow(t, tenant, map[string]any{
			"trigger": map[string]any{"type": "event", "event": "user.updated", "filter": "trigger.data.occupation == 'Updated'"},
			"steps":   []any{map[string]any{"id": "look", "op": "users.list", "input": map[string]any{"limit": 1}}},
		})
		publish(t, tenant, onUpdate.ID)

		items := []map[string]any{{"name": "Old", "email": "OLD@example.com", "occupation": "Updated"}}
		for i := range 40 {
			role := "learner"
			if i%4 == 0 {
				role = "manager"
			}
			items = append(items, map[string]any{"name": fmt.Sprintf("U%d", i), "email": fmt.Sprintf("u%d@example.com", i), "roleAlias": role})
		}
		var out struct {
			Created, Updated int
			Results          []struct{ ID string }
		}
		tenant.Call(t, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": items, "onExisting": "update"}).
			Expect(t, http.StatusOK).JSON(t, &out)
		if out.Created != 40 || out.Updated != 1 || out.Results[0].ID != old.ID {
			t.Fatalf("bulk: %+v", out)
		}

		var dl struct {
			Deliveries []struct{ EventID string }
			TotalCount int
		}
		tenant.Call(t, http.MethodGet, "/api/v1/webhooks/"+endpoint.ID+"/deliveries?limit=100", nil).Expect(t, http.StatusOK).JSON(t, &dl)
		events := map[string]bool{}
		for _, d := range dl.Deliveries {
			events[d.EventID] = true
		}
		if dl.TotalCount != 40 || len(events) != 40 {
			t.Fatalf("%d deliveries of %d events, want one per created user (40)", dl.TotalCount, len(events))
		}
		for status, want := range map[string]int{"skipped": 10, "": 40} {
			if n := runCount(t, tenant, locate.ID, status); n != want {
				t.Fatalf("%d %q runs of locate, want %d", n, status, want)
			}
		}
		waitFor(t, "locate runs finish", func() bool { return runCount(t, tenant, locate.ID, "succeeded") == 30 })
		for i, r := range out.Results[1:] {
			var u struct{ Location string }
			tenant.Call(t, http.MethodGet, "/api/v1/users/"+r.ID, nil).Expect(t, http.StatusOK).JSON(t, &u)
			if want := fmt.Sprintf("L-U%d", i); (i%4 != 0 && u.Location != want) || (i%4 == 0 && u.Location != "") {
				t.Fatalf("user %d located %q: a run ran with another user's trigger, or a skipped run ran", i, u.Location)
			}
		}
		if n := runCount(t, tenant, onUpdate.ID, ""); n != 1 {
			t.Fatalf("%d runs on user.updated, want 1 (the bulk update)", n)
		}
	})
}

// runCount counts a workflow's runs, of one status unless status is empty.
func runCount(t *testing.T, tenant *apptest.Tenant, wfID int64, status string) int {
	t.Helper()
	var page struct{ TotalCount int }
	path := fmt.Sprintf("/api/v1/workflows/%d/runs?limit=1", wfID)
	if status != "" {
		path += "&status=" + status
	}
	tenant.Call(t, http.MethodGet, path, nil).Expect(t, http.StatusOK).JSON(t, &page)
	return page.TotalCount
}

// waitFor polls cond for up to 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(25 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
