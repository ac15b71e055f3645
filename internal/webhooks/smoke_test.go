package webhooks_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
)

func TestSmoke(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		got := make(chan http.Header, 10)
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			t.Logf("got %s %s", r.Header.Get("webhook-id"), b)
			got <- r.Header
		}))
		defer rcv.Close()
		tenant := s.Tenant(t)
		resp := tenant.Call(t, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": rcv.URL, "eventTypes": []string{"user.*"}})
		resp.Expect(t, http.StatusCreated)
		t.Logf("%s", resp.Body)
		start := time.Now()
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"name": "A", "email": "a@example.com"}).Expect(t, http.StatusCreated)
		select {
		case <-got:
			t.Logf("delivered after %s", time.Since(start))
		case <-time.After(10 * time.Second):
			t.Fatal("not delivered")
		}
	})
}
