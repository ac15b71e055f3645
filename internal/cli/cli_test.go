package cli

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func run(t *testing.T, env map[string]string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Run(context.Background(), args, Env{Getenv: func(k string) string { return env[k] }, Stdout: &stdout, Stderr: &stderr})
	return stdout.String(), stderr.String(), err
}

func TestWorkspacesAndKeys(t *testing.T) {
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir()}
	if _, _, err := run(t, env, "workspaces", "create", "acme"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, env, "workspaces", "create", "acme"); err == nil {
		t.Fatal("duplicate workspace accepted")
	}
	out, errOut, err := run(t, env, "keys", "create", "--workspace", "acme", "--scopes", "users.readonly,users.write", "--name", "zapier")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^rk_[A-Za-z0-9]{44}\n$`).MatchString(out) {
		t.Fatalf("stdout must be the secret alone, got %q", out)
	}
	if !strings.Contains(errOut, "users.readonly,users.write") || strings.Contains(errOut, strings.TrimSpace(out)) {
		t.Fatalf("stderr %q", errOut)
	}
	if _, _, err := run(t, env, "keys", "create", "--workspace", "acme", "--scopes", "users.root"); err == nil {
		t.Fatal("unknown scope accepted")
	}
	if _, _, err := run(t, env, "keys", "create", "--workspace", "nope", "--scopes", "all"); err == nil {
		t.Fatal("unknown workspace accepted")
	}
	list, _, err := run(t, env, "keys", "list", "--workspace", "acme")
	if err != nil || !strings.Contains(list, "zapier") || strings.Contains(list, strings.TrimSpace(out)) {
		t.Fatalf("list: %q %v", list, err)
	}
	id := strings.TrimSpace(out)[3:15]
	if _, _, err := run(t, env, "keys", "revoke", id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, env, "keys", "revoke", id); err == nil {
		t.Fatal("second revoke accepted")
	}
}

// TestServeBootstrapsOnce starts the real server twice on one data directory:
// the first start prints an admin key, the second does not.
func TestServeBootstrapsOnce(t *testing.T) {
	dir := t.TempDir()
	for i, wantKey := range []bool{true, false} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		ctx, cancel := context.WithCancel(context.Background())
		var stderr bytes.Buffer
		done := make(chan error, 1)
		go func() {
			done <- Run(ctx, []string{"serve", "--addr", addr, "--log-level", "warn"},
				Env{Getenv: func(k string) string { return map[string]string{"ROSTER_DATA_DIR": dir}[k] }, Stdout: &bytes.Buffer{}, Stderr: &stderr})
		}()
		waitHealthy(t, "http://"+addr+"/healthz")
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		if got := regexp.MustCompile(`rk_[A-Za-z0-9]{44}`).MatchString(stderr.String()); got != wantKey {
			t.Fatalf("start %d printed a key: %v\n%s", i, got, stderr.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "roster.db")); err != nil {
		t.Fatalf("no database file in the data directory: %v", err)
	}
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never became healthy", url)
}

func TestWorkspacesDeleteAsksFirst(t *testing.T) {
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir()}
	for _, name := range []string{"acme", "globex"} {
		if _, _, err := run(t, env, "workspaces", "create", name); err != nil {
			t.Fatal(err)
		}
	}
	key, _, err := run(t, env, "keys", "create", "--workspace", "acme", "--scopes", "all")
	if err != nil || key == "" {
		t.Fatal(err)
	}
	_, _, err = run(t, env, "workspaces", "delete", "acme")
	if err == nil || !strings.Contains(err.Error(), "1 API keys") || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("delete without --yes: %v", err)
	}
	if _, errOut, err := run(t, env, "workspaces", "delete", "acme", "--yes"); err != nil || !strings.Contains(errOut, `deleted workspace "acme"`) {
		t.Fatalf("delete --yes: %q %v", errOut, err)
	}
	list, _, _ := run(t, env, "workspaces", "list")
	if strings.Contains(list, "acme") || !strings.Contains(list, "globex") {
		t.Fatalf("after delete: %q", list)
	}
	if _, _, err := run(t, env, "workspaces", "delete", "acme", "--yes"); err == nil {
		t.Fatal("deleting a missing workspace succeeded")
	}
}

// TestPlatformKeys checks `roster keys create --platform`: a server-wide key
// shown once, listed without its secret, revocable like any key.
func TestPlatformKeys(t *testing.T) {
	env := map[string]string{"ROSTER_DATA_DIR": t.TempDir()}
	out, errOut, err := run(t, env, "keys", "create", "--platform", "--name", "n8n")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^rpk_[A-Za-z0-9]{44}\n$`).MatchString(out) || !strings.Contains(errOut, "platform") {
		t.Fatalf("stdout %q stderr %q", out, errOut)
	}
	if _, _, err := run(t, env, "keys", "create", "--platform", "--scopes", "all"); err == nil {
		t.Fatal("--platform with --scopes accepted")
	}
	list, _, err := run(t, env, "keys", "list", "--platform")
	if err != nil || !strings.Contains(list, "n8n") || !strings.Contains(list, "platform") || strings.Contains(list, strings.TrimSpace(out)[15:]) {
		t.Fatalf("list: %q %v", list, err)
	}
	id := strings.TrimSpace(out)[4:16]
	if _, _, err := run(t, env, "keys", "revoke", id); err != nil {
		t.Fatal(err)
	}
	if _, _, err := run(t, env, "keys", "revoke", id); err == nil {
		t.Fatal("second revoke accepted")
	}
}
