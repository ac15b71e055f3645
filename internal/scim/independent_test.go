package scim_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// TestIndependentImplementations runs testdata/scimcheck/check.mjs against a
// live server on each engine: SCIM implementations that are not ours
// (scimmy, scim2-parse-filter, scim-patch from npm) validate our responses,
// filters and PATCH results. It needs node and `npm ci` in that directory
// (.ci/run does both); without them it skips, loudly.
func TestIndependentImplementations(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "scimcheck"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		skipLoudly(t, "node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "scimmy")); err != nil {
		skipLoudly(t, "node_modules missing: run `npm ci` in "+dir)
	}
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		c := newClient(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "check.mjs")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SCIM_URL="+s.URL+"/scim/v2", "SCIM_TOKEN="+c.key)
		out, err := cmd.CombinedOutput()
		t.Logf("check.mjs:\n%s", out)
		if err != nil {
			t.Fatalf("independent SCIM check failed: %v", err)
		}
	})
}

func skipLoudly(t *testing.T, why string) {
	t.Helper()
	fmt.Fprintf(os.Stderr, "\n*** SCIM independent-implementation check SKIPPED: %s ***\n\n", why)
	t.Skip("SCIM independent-implementation check skipped: " + why)
}
