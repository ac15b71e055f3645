package api_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app/apptest"
)

func TestRateLimit(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		key := tenant.NewKeyWithLimit(t, 3, access.UsersRead)
		for i := 0; i < 3; i++ {
			resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: key}).Expect(t, http.StatusOK)
			if resp.Header.Get("X-RateLimit-Limit") != "3" || resp.Header.Get("X-RateLimit-Remaining") != strconv.Itoa(2-i) {
				t.Fatalf("request %d headers: %v", i, resp.Header)
			}
			reset, err := strconv.ParseInt(resp.Header.Get("X-RateLimit-Reset"), 10, 64)
			if err != nil || reset < time.Now().Unix() || reset > time.Now().Add(61*time.Second).Unix() {
				t.Fatalf("X-RateLimit-Reset %q is not a Unix time within the window", resp.Header.Get("X-RateLimit-Reset"))
			}
			if resp.Header.Get("RateLimit-Policy") != `"default";q=3;w=60` {
				t.Fatalf("RateLimit-Policy %q", resp.Header.Get("RateLimit-Policy"))
			}
		}
		resp := s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: key})
		p := resp.Problem(t, http.StatusTooManyRequests)
		retry, err := strconv.Atoi(resp.Header.Get("Retry-After"))
		if err != nil || retry < 1 || retry > 60 || p.Code != "quota_exceeded" {
			t.Fatalf("Retry-After %q, problem %+v", resp.Header.Get("Retry-After"), p)
		}
		// Another key of the same workspace has its own budget.
		s.Do(t, apptest.Request{Method: http.MethodGet, Path: "/api/v1/users", Key: tenant.Key}).Expect(t, http.StatusOK)
	}, apptest.WithRateLimit(1000))
}
