package api

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/ratelimit"
)

// authThrottle slows down guessing of API keys: after limit failed
// authentications in a minute from one client address (an IPv6 client's
// /64), further attempts from it are answered 429 with Retry-After until the
// minute ends, whatever key they carry. Counters are per node, like the
// per-key rate limit.
type authThrottle struct {
	limiter *ratelimit.Limiter
	limit   int // failures per minute per address; 0 disables the throttle
	now     func() time.Time
}

func (t authThrottle) enabled() bool { return t.limiter != nil && t.limit > 0 }

// refuse answers 429 and returns true when addr has failed too often.
func (t authThrottle) refuse(w http.ResponseWriter, r *http.Request) bool {
	if !t.enabled() {
		return false
	}
	d := t.limiter.Peek(clientKey(r), t.limit)
	if d.Allowed {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfter(t.now())))
	writeProblem(w, r, newProblem(http.StatusTooManyRequests, "too_many_auth_failures",
		"Too many failed authentications from this address; wait before trying again."))
	return true
}

// failed counts a refused credential.
func (t authThrottle) failed(r *http.Request, err error) {
	if t.enabled() && fault.KindOf(err) == fault.KindUnauthorized {
		t.limiter.Allow(clientKey(r), t.limit)
	}
}

func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() && !a.Is4In6() {
		p, _ := a.Prefix(64)
		host = p.String()
	}
	return "authfail:" + host
}
