package automation_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/automation"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
)

// TestTemplatesValidate keeps the shipped templates in step with the
// operations they call.
func TestTemplatesValidate(t *testing.T) {
	s := apptest.Start(t, db.SQLite)
	for _, tpl := range automation.Templates() {
		if err := automation.Validate(tpl.Definition, s.App.Server.Catalog); err != nil {
			t.Errorf("template %s: %v", tpl.Key, err)
		}
	}
}

// TestSampleEventsCoverEveryType: a dry run without data has a sample of
// every event type Roster records, and updates carry previous and changed.
func TestSampleEventsCoverEveryType(t *testing.T) {
	for _, typ := range events.KnownTypes {
		tr := automation.SampleTrigger(typ)
		data, _ := tr["data"].(map[string]any)
		if tr["type"] != typ || len(data) == 0 {
			t.Errorf("%s: no sample data: %v", typ, tr)
		}
		if strings.HasSuffix(typ, ".updated") && (data["previous"] == nil || len(data["changed"].([]string)) == 0) {
			t.Errorf("%s: sample lacks previous/changed: %v", typ, data)
		}
	}
}

// TestTemplatesDryRunOnSamples: each event-triggered template dry-runs on
// its sample event with every step's input resolved.
func TestTemplatesDryRunOnSamples(t *testing.T) {
	s := apptest.Start(t, db.SQLite)
	tenant := s.Tenant(t)
	for _, tpl := range automation.Templates() {
		if tpl.Definition.Trigger.Type != automation.TriggerEvent {
			continue
		}
		var w struct{ ID int64 }
		tenant.Call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": tpl.Name, "definition": tpl.Definition}).
			Expect(t, http.StatusCreated).JSON(t, &w)
		var res automation.TestResult
		tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/test", w.ID), nil).Expect(t, http.StatusOK).JSON(t, &res)
		if !res.Conditions || len(res.Steps) == 0 {
			t.Fatalf("%s: %+v", tpl.Key, res)
		}
		for _, st := range res.Steps {
			if st.Error != "" || (st.Runs && st.Input == nil) {
				t.Errorf("%s: step %s on the sample: %+v", tpl.Key, st.StepID, st)
			}
		}
	}
}
