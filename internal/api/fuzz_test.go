package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
)

// FuzzWriteRoutes sends arbitrary bodies to every write route of every face
// and checks that none answers 5xx and that a refused request writes
// nothing (no event, so no change). Run it longer by hand:
//
//	go test -run '^$' -fuzz FuzzWriteRoutes -fuzztime 5m ./internal/api/
func FuzzWriteRoutes(f *testing.F) {
	seeds := []string{
		`{}`, `[]`, `null`, `"x"`, `{"name":"A","email":"a@example.com"}`,
		`{"name":"A","email":"a@example.com","customAttributes":{"k":[1,"x",true,null]}}`,
		`{"users":[{"name":"A","email":"b@example.com"},{"name":"","email":"x"}]}`,
		`{"name":"\u0000","email":"a@b.co","timezone":"../../etc/passwd"}`,
		`{"name":"A","email":"a@example.com","password":"Aa1!Aa1!"}`,
		`{"id":"` + strings.Repeat("x", 70) + `","name":"A","email":"c@example.com"}`,
		`{"customAttributes":{"a":{"b":{}}}}`, `{"email":null}`, `{"name":1e400}`, `{"users":null}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), []byte(s))
	}
	s := apptest.Start(f, db.SQLite)
	tenant := s.Tenant(f)
	var victim user
	tenant.Call(f, http.MethodPost, "/api/v1/users", map[string]any{"name": "Victim", "email": "victim@example.com"}).
		Expect(f, http.StatusCreated).JSON(f, &victim)
	var writes []routed
	for _, r := range everyRoute(s) {
		if r.meta.Method != http.MethodGet && r.meta.Method != http.MethodDelete {
			r.path = strings.ReplaceAll(r.path, "/1", "/"+victim.ID)
			writes = append(writes, r)
		}
	}
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		r := writes[int(pick)%len(writes)]
		before := s.Count(t, "events")
		resp := s.Do(t, apptest.Request{Method: r.meta.Method, Path: r.path, Key: tenant.Key, Body: body})
		if resp.Status >= 500 {
			t.Fatalf("%s %s with %q: %d %s", r.meta.Method, r.path, body, resp.Status, resp.Body)
		}
		if resp.Status >= 400 && s.Count(t, "events") != before {
			t.Fatalf("%s %s refused with %d but wrote: %q", r.meta.Method, r.path, resp.Status, body)
		}
	})
}
