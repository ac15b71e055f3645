package api

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/rosterhq/roster/internal/access"
)

type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status = status
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRecovery turns a panic into a logged 500 problem instead of a dropped
// connection.
func withRecovery(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic", "request_id", requestIDFrom(r.Context()), "panic", v, "stack", string(debug.Stack()))
				writeProblem(w, r, newProblem(http.StatusInternalServerError, "internal_error", "An internal error occurred; it has been logged with this request's id."))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Konstantly clients call /openapi/v1/...; it is the same API as /api/v1.
const (
	apiPrefix        = "/api/v1"
	konstantlyPrefix = "/openapi/v1"
)

// withCanonicalPath answers /users/ like /users (no redirect) and serves the
// Konstantly prefix as an alias of /api/v1.
func withCanonicalPath(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if rest, ok := strings.CutPrefix(p, konstantlyPrefix); ok && (rest == "" || rest[0] == '/') {
			p = apiPrefix + rest
		}
		for len(p) > 1 && strings.HasSuffix(p, "/") {
			p = p[:len(p)-1]
		}
		if p != r.URL.Path {
			r2 := r.Clone(r.Context())
			r2.URL.Path = p
			r2.URL.RawPath = ""
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

// Authenticator resolves an API key to its principal.
type Authenticator interface {
	Authenticate(ctx context.Context, secret string) (access.Principal, error)
}

// presentedKey returns the key from X-API-KEY, Authorization: Bearer, or
// api_access_token (Chatwoot's header), in that order.
func presentedKey(r *http.Request) string {
	if k := r.Header.Get("X-API-KEY"); k != "" {
		return strings.TrimSpace(k)
	}
	if auth := r.Header.Get("Authorization"); auth != "" {
		scheme, token, ok := strings.Cut(auth, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(token)
		}
	}
	return strings.TrimSpace(accessToken(r.Header))
}

// accessToken returns Chatwoot's api_access_token header under any spelling:
// Chatwoot runs behind Rack, which treats '-' and '_' alike, so clients send
// api_access_token, Api-Access-Token (n8n's Chatwoot node) or
// api-access-token, and every face accepts all three.
func accessToken(h http.Header) string {
	for name, values := range h {
		if len(values) > 0 && strings.EqualFold(strings.ReplaceAll(name, "_", "-"), "api-access-token") {
			return values[0]
		}
	}
	return ""
}

// withAuthentication puts the principal of a presented key in the context. A
// request without a key passes through (operations refuse it with 401); a
// request with a bad key is refused here.
func withAuthentication(auth Authenticator, throttle authThrottle, errs errorMapper, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := presentedKey(r)
		if secret == "" {
			next.ServeHTTP(w, r)
			return
		}
		if throttle.refuse(w, r) {
			return
		}
		p, err := auth.Authenticate(r.Context(), secret)
		if err != nil {
			throttle.failed(r, err)
			w.Header().Set("WWW-Authenticate", `Bearer realm="roster"`)
			writeProblem(w, r, errs.toProblem(r.Context(), err))
			return
		}
		if info := infoFrom(r.Context()); info != nil {
			info.keyID, info.workspaceID = p.KeyID, p.WorkspaceID
		}
		next.ServeHTTP(w, r.WithContext(access.WithPrincipal(r.Context(), p)))
	})
}
