package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// TestRequestLog runs the real server in both log formats on both engines:
// every request line carries the operation, workspace, key id and duration,
// and neither the inbound workflow token nor the API key (in a header, a
// path or a query) ever appears in the log.
func TestRequestLog(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		for _, format := range []string{"json", "text"} {
			t.Run(string(dialect)+"/"+format, func(t *testing.T) {
				env := map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_DATABASE_URL": dbtest.URL(t, dialect),
					"ROSTER_LOG_FORMAT": format, "ROSTER_SECRET_KEY": apptest.TestSecretKey}
				s := startServe(t, env)
				if s.Key == "" {
					t.Fatal("no admin key printed")
				}
				keyID := s.Key[3:15]

				s.call(t, http.MethodGet, "/api/v1/users?limit=5", nil, http.StatusOK, nil)
				var wf struct {
					ID          int64  `json:"id"`
					WebhookPath string `json:"webhookPath"`
				}
				s.call(t, http.MethodPost, "/api/v1/workflows", map[string]any{"name": "log test", "definition": map[string]any{
					"trigger": map[string]any{"type": "webhook"},
					"steps":   []any{map[string]any{"id": "f", "op": "users.list", "input": map[string]any{"limit": 1}}}}},
					http.StatusCreated, &wf)
				s.call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/publish", wf.ID), nil, http.StatusOK, nil)
				token := strings.TrimPrefix(wf.WebhookPath, "/hooks/in/")
				if !strings.HasPrefix(token, "whk_") {
					t.Fatalf("webhook path %q", wf.WebhookPath)
				}
				// The inbound call carries no key; the token is the credential.
				noKey := *s
				noKey.Key = ""
				noKey.call(t, http.MethodPost, wf.WebhookPath+"?token=qs-secret-1&api_key="+s.Key+"&access_token=qs-secret-2&limit=3",
					map[string]any{"x": 1}, http.StatusAccepted, nil)
				noKey.call(t, http.MethodGet, "/sso/login/sso-secret-3", nil, http.StatusNotFound, nil)
				noKey.call(t, http.MethodGet, "/api/v1/users/"+s.Key, nil, http.StatusUnauthorized, nil)
				if err := s.Stop(); err != nil {
					t.Fatal(err)
				}
				// The first start prints the admin key once, on purpose; the
				// log proper starts after it.
				log := s.Stderr.String()
				log = log[strings.Index(log, "roster serving"):]
				for _, secret := range []string{token, s.Key, "qs-secret-1", "qs-secret-2", "sso-secret-3"} {
					if strings.Contains(log, secret) {
						t.Errorf("the log holds the secret %q:\n%s", secret, log)
					}
				}
				if len(s.logLines("/hooks/in/REDACTED", "limit=3", "operation_id")) != 1 {
					t.Errorf("no redacted inbound line:\n%s", log)
				}

				lines := s.logLines("users.list")
				if len(lines) != 1 {
					t.Fatalf("want one users.list line, got %q", lines)
				}
				fields := parseLine(t, format, lines[0])
				want := map[string]string{"msg": "request", "operation_id": "users.list", "key_id": keyID, "workspace_id": "1", "status": "200",
					"path": "/api/v1/users", "query": "limit=5"}
				for k, v := range want {
					if fields[k] != v {
						t.Errorf("%s = %q, want %q in %s", k, fields[k], v, lines[0])
					}
				}
				if fields["duration_ms"] == "" || fields["request_id"] == "" {
					t.Errorf("no duration or request id in %s", lines[0])
				}
			})
		}
	}
}

// parseLine reads one log line of either format into strings.
func parseLine(t *testing.T, format, line string) map[string]string {
	t.Helper()
	out := map[string]string{}
	if format == "json" {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
		return out
	}
	if strings.HasPrefix(line, "{") {
		t.Fatalf("text format logged JSON: %s", line)
	}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			out[k] = strings.Trim(v, `"`)
		}
	}
	return out
}
