package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// Guessing keys is throttled per client address: after the limit of failed
// authentications, every attempt from that address (even with a good key)
// is answered 429 with Retry-After until the window ends.
func TestFailedAuthenticationIsThrottled(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		const limit = 5
		wrong := "rk_AAAAAAAAAAAA" + "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
		for range limit {
			s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: wrong}).Problem(t, http.StatusUnauthorized)
		}
		for _, key := range []string{wrong, tenant.Key} {
			resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: key})
			p := resp.Problem(t, http.StatusTooManyRequests)
			if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 60 || p.Code != "too_many_auth_failures" {
				t.Fatalf("Retry-After %q, problem %+v", resp.Header.Get("Retry-After"), p)
			}
		}
		// Requests without credentials and public routes are not affected.
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/healthz"}).Expect(t, http.StatusOK)
	}, apptest.WithAuthFailureLimit(5))
}

// Good keys never count against the address.
func TestSuccessfulAuthenticationIsNotThrottled(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		for range 20 {
			tenant.Call(t, http.MethodGet, "/api/v1/users", nil).Expect(t, http.StatusOK)
		}
	}, apptest.WithAuthFailureLimit(3))
}
