package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/ratelimit"
)

// withRateLimit enforces each key's requests-per-minute limit and reports it
// in both Konstantly's X-RateLimit-* headers and the IETF RateLimit fields.
// Requests without a key are not counted: they can only reach public routes.
func withRateLimit(l *ratelimit.Limiter, defaultLimit int, now func() time.Time, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := access.FromContext(r.Context())
		limit := p.RateLimit
		if limit <= 0 {
			limit = defaultLimit
		}
		if !ok || limit <= 0 {
			next.ServeHTTP(w, r)
			return
		}
		d := l.Allow(p.KeyID, limit)
		t := now()
		h := w.Header()
		h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(d.Reset.Unix(), 10))
		h.Set("RateLimit-Policy", fmt.Sprintf(`"default";q=%d;w=%d`, d.Limit, int(ratelimit.Window/time.Second)))
		h.Set("RateLimit", fmt.Sprintf(`"default";r=%d;t=%d`, d.Remaining, d.RetryAfter(t)))
		if !d.Allowed {
			h.Set("Retry-After", strconv.Itoa(d.RetryAfter(t)))
			p := newProblem(http.StatusTooManyRequests, "quota_exceeded",
				fmt.Sprintf("Rate limit of %d requests per minute exceeded; retry after %d seconds.", d.Limit, d.RetryAfter(t)))
			writeProblem(w, r, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}
