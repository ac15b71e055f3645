package access

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeListsEveryScope: README's "### Scopes" table is the one
// complete list of scopes; it names every scope Roster knows and no other.
func TestReadmeListsEveryScope(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### Scopes\n")
	if !ok {
		t.Fatal(`README has no "### Scopes" section`)
	}
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-z.]+)` \\|").FindAllStringSubmatch(section, -1) {
		listed[m[1]] = true
	}
	for _, s := range AllScopes {
		if !listed[string(s)] {
			t.Errorf("README's scope table lacks %s", s)
		}
		delete(listed, string(s))
	}
	for s := range listed {
		t.Errorf("README's scope table lists %s, which is not a scope", s)
	}
}
