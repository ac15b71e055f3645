package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

func postWithKey(t *testing.T, s *apptest.Server, apiKey, idemKey string, body any) *apptest.Response {
	t.Helper()
	return s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/users", Key: apiKey, Body: body,
		Headers: map[string]string{"Idempotency-Key": idemKey}})
}

func TestIdempotencyReplaysAndRefuses(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		body := map[string]any{"name": "Ada", "email": "ada@example.com"}
		first := postWithKey(t, s, tenant.Key, "k-1", body).Expect(t, http.StatusCreated)
		again := postWithKey(t, s, tenant.Key, `"k-1"`, body).Expect(t, http.StatusCreated) // quoted sf-string form
		if string(again.Body) != string(first.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("replay differs:\n%s\n%s", first.Body, again.Body)
		}
		p := postWithKey(t, s, tenant.Key, "k-1", map[string]any{"name": "Eve", "email": "eve@example.com"}).Problem(t, http.StatusUnprocessableEntity)
		if p.Code != "idempotency_key_reused" {
			t.Fatalf("reuse with another body: %+v", p)
		}
		// Settled client errors replay too: the same request gets the same answer.
		dup := postWithKey(t, s, tenant.Key, "k-2", body).Problem(t, http.StatusConflict)
		if dup.Code != "email_taken" {
			t.Fatalf("k-2: %+v", dup)
		}
		postWithKey(t, s, tenant.Key, "k-2", body).Problem(t, http.StatusConflict)
		// Keys belong to one API key: another key's k-1 is a new request.
		other := tenant.NewKey(t, "users.write")
		postWithKey(t, s, other, "k-1", map[string]any{"name": "Bo", "email": "bo@example.com"}).Expect(t, http.StatusCreated)
		// A refusal that did no work is not stored: fixing the scope and retrying works.
		weak := tenant.NewKey(t, "users.readonly")
		postWithKey(t, s, weak, "k-3", map[string]any{"name": "Cy", "email": "cy@example.com"}).Problem(t, http.StatusForbidden)
		for _, bad := range []string{"a b", strings.Repeat("k", 256)} {
			postWithKey(t, s, tenant.Key, bad, body).Problem(t, http.StatusBadRequest)
		}
		if n := s.Count(t, "users"); n != 2 {
			t.Fatalf("%d users, want 2", n)
		}
	})
}

func TestIdempotencyUnderConcurrency(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		body := map[string]any{"name": "Ada", "email": "ada@example.com"}
		const n = 50
		var wg sync.WaitGroup
		responses := make([]*apptest.Response, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				responses[i] = postWithKey(t, s, tenant.Key, "same-key", body)
			}()
		}
		wg.Wait()
		var created string
		for _, r := range responses {
			switch r.Status {
			case http.StatusCreated:
				if created != "" && string(r.Body) != created {
					t.Fatalf("two different creations:\n%s\n%s", created, r.Body)
				}
				created = string(r.Body)
			case http.StatusConflict:
				if p := r.Problem(t, http.StatusConflict); p.Code != "idempotency_key_in_use" {
					t.Fatalf("conflict: %+v", p)
				}
			default:
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
		if created == "" {
			t.Fatal("no request succeeded")
		}
		if got := s.Count(t, "users"); got != 1 {
			t.Fatalf("%d users created, want exactly 1", got)
		}
		if got := s.Count(t, "events"); got != 1 {
			t.Fatalf("%d events recorded, want exactly 1", got)
		}
	})
}

// The fingerprint compares the request as JSON, not as bytes: a retry that
// only reorders keys or changes whitespace replays the first answer.
func TestIdempotencyFingerprintIsCanonicalJSON(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		first := postWithKey(t, s, tenant.Key, "canon", `{"name":"Ada","email":"ada@example.com"}`).Expect(t, http.StatusCreated)
		again := postWithKey(t, s, tenant.Key, "canon", "{ \"email\" : \"ada@example.com\",\n  \"name\": \"Ada\" }").Expect(t, http.StatusCreated)
		if again.Header.Get("Idempotent-Replayed") != "true" || string(again.Body) != string(first.Body) {
			t.Fatalf("reformatted retry was not replayed: %s", again.Body)
		}
		postWithKey(t, s, tenant.Key, "canon", `{"email":"ada@example.com","name":"Ada L"}`).Problem(t, http.StatusUnprocessableEntity)
	})
}
