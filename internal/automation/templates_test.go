package automation_test

import (
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/automation"
	"github.com/rosterhq/roster/internal/db"
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
