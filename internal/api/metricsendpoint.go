package api

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// MetricsPath is where the main listener serves metrics when a metrics
// token is configured.
const MetricsPath = "/metrics"

// withMetricsEndpoint serves metrics at /metrics to callers presenting the
// metrics token as a bearer token. It sits in front of API-key
// authentication: the metrics token is not an API key, and an API key does
// not open /metrics. Without a handler or token, /metrics is an unknown route.
func withMetricsEndpoint(metrics http.Handler, token string, next http.Handler) http.Handler {
	if metrics == nil || token == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != MetricsPath {
			next.ServeHTTP(w, r)
			return
		}
		if info := infoFrom(r.Context()); info != nil {
			info.operationID = "metrics"
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "method_not_allowed", r.Method+" is not allowed on /metrics; allowed: GET, HEAD."))
			return
		}
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="roster-metrics"`)
			writeProblem(w, r, newProblem(http.StatusUnauthorized, "unauthorized", "/metrics needs the metrics token (ROSTER_METRICS_TOKEN) as Authorization: Bearer."))
			return
		}
		metrics.ServeHTTP(w, r)
	})
}
