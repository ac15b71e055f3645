package dbtest

import (
	"bytes"
	"strings"
	"testing"
)

// TestAnnounceOnce: one line per go test run, whatever the number of
// packages (test binaries) that skip.
func TestAnnounceOnce(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if !announceOnce(&out, dir, "run1") || announceOnce(&out, dir, "run1") {
		t.Fatal("the same run announced twice, or not at all")
	}
	if !announceOnce(&out, dir, "run2") {
		t.Fatal("a new run was not announced")
	}
	if n := strings.Count(out.String(), "\n"); n != 2 || !strings.Contains(out.String(), EnvPostgresDSN) {
		t.Fatalf("output: %q", out.String())
	}
	if k := runKey(); k == "" || !strings.Contains(k, "-") {
		t.Errorf("run key %q has no start time", k)
	}
}
