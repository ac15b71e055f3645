package cli

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// --metrics-addr serves /metrics on its own listener; the main listener then
// has none (no token configured).
func TestMetricsOnSeparateListener(t *testing.T) {
	maddr := freeAddr(t)
	s := startServe(t, map[string]string{"ROSTER_DATA_DIR": t.TempDir(), "ROSTER_METRICS_ADDR": maddr})
	s.call(t, http.MethodGet, "/api/v1/users", nil, http.StatusOK, nil)
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `roster_http_requests_total{operation="users.list",status_class="2xx"} 1`) {
		t.Fatalf("metrics listener: %d\n%s", resp.StatusCode, body)
	}
	s.call(t, http.MethodGet, "/metrics", nil, http.StatusNotFound, nil)
}
