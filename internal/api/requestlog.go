package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/scim"
)

// requestInfo travels in the request context; inner middleware fills it in
// and the access log reads it when the request is done.
type requestInfo struct {
	id          string
	path        string // as requested, before any alias is resolved
	keyID       string
	workspaceID int64
	operationID string
}

type requestInfoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

func requestIDFrom(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestObserver is told about every finished request (metrics). The
// operation id is "" for requests that matched no operation.
type RequestObserver interface {
	ObserveRequest(operationID string, status int, d time.Duration)
}

// withRequestInfo assigns a request id (keeping a sane incoming X-Request-Id),
// echoes it, and logs each request once it is done: one line with the
// operation, workspace and key id (never the secret) and the duration. Path
// and query are logged with tokens redacted (redactPath, redactQuery).
func withRequestInfo(log *slog.Logger, obs RequestObserver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !requestIDPattern.MatchString(id) {
			id = "req_" + access.NewID(20)
		}
		info := &requestInfo{id: id, path: r.URL.Path}
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)))
		elapsed := time.Since(start)
		if info.operationID == "" {
			info.operationID = scimOperation(r.URL.Path)
		}
		if obs != nil {
			obs.ObserveRequest(info.operationID, sw.status, elapsed)
		}
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		attrs := []slog.Attr{
			slog.String("request_id", id),
			slog.String("method", r.Method),
			slog.String("path", redactPath(r.URL.Path)),
			slog.String("operation_id", info.operationID),
			slog.Int("status", sw.status),
			slog.Int("bytes", sw.bytes),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("key_id", info.keyID),
			slog.Int64("workspace_id", info.workspaceID),
		}
		if r.URL.RawQuery != "" {
			attrs = append(attrs, slog.String("query", redactQuery(r.URL.RawQuery)))
		}
		log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// recordOperation is a huma middleware that tells the access log which
// operation answered. It must be added before operations are registered
// (huma binds middlewares at registration).
func recordOperation(hctx huma.Context, next func(huma.Context)) {
	if info := infoFrom(hctx.Context()); info != nil && hctx.Operation() != nil {
		info.operationID = hctx.Operation().OperationID
	}
	next(hctx)
}

// scimOperation names a SCIM request by its resource ("scim.users"), as the
// SCIM face is not a huma API; "" outside SCIM.
func scimOperation(path string) string {
	rest, ok := strings.CutPrefix(path, scim.Prefix)
	if !ok || (rest != "" && rest[0] != '/') {
		return ""
	}
	return "scim." + scimResource(rest)
}

// scimResource is the resource a path below /scim/v2 addresses, from a fixed
// list so that it can be a metric label.
func scimResource(rest string) string {
	head, _, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
	switch h := strings.ToLower(head); h {
	case "users", "groups", "schemas", "resourcetypes", "serviceproviderconfig":
		return h
	case "":
		return "root"
	}
	return "other"
}

// redacted replaces a secret in a logged path or query.
const redacted = "REDACTED"

// tokenRoutes are path prefixes whose next segment is a bearer token: the
// inbound workflow webhook and single sign-on links. They are matched
// anywhere in the path, so aliases under /api/v1 are covered too.
var tokenRoutes = []string{"/hooks/in/", "/sso/login/"}

// secretPrefixes mark values that are secrets wherever they appear: API
// keys, inbound webhook tokens and webhook signing secrets.
var secretPrefixes = []string{"rk_", "whk_", "whsec_"}

// redactPath hides URL tokens in a path: the segment after a token route and
// any segment that carries a secret's prefix.
func redactPath(p string) string {
	segs := strings.Split(p, "/")
	changed := false
	for i, s := range segs {
		if looksSecret(s) {
			segs[i], changed = redacted, true
		}
	}
	out := p
	if changed {
		out = strings.Join(segs, "/")
	}
	for _, route := range tokenRoutes {
		i := strings.Index(out, route)
		if i < 0 {
			continue
		}
		start := i + len(route)
		end := strings.IndexByte(out[start:], '/')
		if end < 0 {
			end = len(out) - start
		}
		if end > 0 {
			out = out[:start] + redacted + out[start+end:]
		}
	}
	return out
}

func looksSecret(v string) bool {
	for _, p := range secretPrefixes {
		if strings.HasPrefix(v, p) && len(v) > len(p) {
			return true
		}
	}
	return false
}

// secretParamWords mark query parameters whose values are credentials
// (token, api_key, access_token, client_secret, password, signature, code…).
var secretParamWords = []string{"token", "key", "secret", "password", "passwd", "signature", "sig", "auth", "code", "session", "credential"}

// redactQuery hides the values of credential-like parameters and of any
// value that carries a secret's prefix, keeping the rest of the raw query
// as sent (it is not re-encoded, so the line shows what arrived).
func redactQuery(raw string) string {
	parts := strings.Split(raw, "&")
	for i, part := range parts {
		name, value, hasValue := strings.Cut(part, "=")
		if !hasValue || value == "" {
			continue
		}
		decName, err := url.QueryUnescape(name)
		if err != nil {
			decName = name
		}
		decValue, err := url.QueryUnescape(value)
		if err != nil {
			decValue = value
		}
		if secretParam(decName) || looksSecret(decValue) {
			parts[i] = name + "=" + redacted
		}
	}
	return strings.Join(parts, "&")
}

func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretParamWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}
