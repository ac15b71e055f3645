package api_test

import (
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// Text one engine cannot store (PostgreSQL refuses NUL in text and jsonb)
// is refused alike on both, naming the field, and nothing is written.
func TestUnstorableTextIsRefused(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		cases := []struct {
			name, method, path, body string
			status                   int
			field                    string
		}{
			{"user name", http.MethodPost, "/api/v1/users", `{"name":"A\u0000B","email":"a@example.com"}`, 422, "name"},
			{"attribute value", http.MethodPost, "/api/v1/users", `{"name":"A","email":"b@example.com","customAttributes":{"k":"v\u0000"}}`, 422, "customAttributes.k"},
			// A NUL in a bulk item refuses that item alone (TestBulkCreateUsersItemShapes);
			// in the envelope, the call.
			{"bulk envelope", http.MethodPost, "/api/v1/users/bulk", `{"users":[{"name":"A","email":"c@example.com"}],"onExisting":"skip\u0000"}`, 422, "onExisting"},
			{"group name", http.MethodPost, "/api/v1/groups", `{"name":"G\u0000"}`, 422, "name"},
			{"course title", http.MethodPost, "/api/v1/courses", `{"title":"C\u0000"}`, 422, "title"},
			{"course import", http.MethodPost, "/api/v1/courses/courses-exporter/public/import", `{"courses":[{"courseId":"x","title":"\u0000"}]}`, 422, "courses.0.title"},
			{"invalid UTF-8 byte", http.MethodPost, "/api/v1/users", "{\"name\":\"A\",\"email\":\"b\xffu2@example.com\"}", 422, "email"},
			{"unpaired surrogate", http.MethodPost, "/api/v1/users", `{"name":"\ud800x","email":"s@example.com"}`, 422, "name"},
			{"lone low surrogate", http.MethodPost, "/api/v1/groups", `{"name":"\udc00"}`, 422, "name"},
			{"invalid UTF-8 in a key", http.MethodPost, "/api/v1/users", "{\"name\":\"A\",\"email\":\"k@example.com\",\"customAttributes\":{\"\xc3\":1}}", 422, "customAttributes.\ufffd"},
			{"invalid UTF-8 in a bulk item", http.MethodPost, "/api/v1/users/bulk", "{\"users\":[{\"name\":\"A\",\"email\":\"x@example.com\"},{\"name\":\"\xe2\x82\",\"email\":\"y@example.com\"}]}", 422, "users.1.name"},
			{"duplicate key", http.MethodPost, "/api/v1/users", `{"name":"A","email":"d1@example.com","email":"d2@example.com"}`, 400, "email"},
			{"duplicate nested key", http.MethodPost, "/api/v1/users", `{"name":"A","email":"d3@example.com","customAttributes":{"k":1,"k":2}}`, 400, "customAttributes.k"},
			{"query", http.MethodGet, "/api/v1/users?query=%00", "", 400, "query"},
			{"query not UTF-8", http.MethodGet, "/api/v1/groups?query=%ff", "", 400, "query"},
			{"user id", http.MethodGet, "/api/v1/users/a%00b", "", 404, ""},
			{"user id not UTF-8", http.MethodGet, "/api/v1/users/%ff", "", 404, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := apptest.Request{Method: c.method, Path: c.path, Key: tenant.Key}
				if c.body != "" {
					r.Body = c.body
				}
				p := s.Do(t, r).Problem(t, c.status)
				if c.field != "" && len(p.Errors[c.field]) == 0 {
					t.Fatalf("problem does not name %s: %+v", c.field, p)
				}
			})
		}
		for _, table := range []string{"users", "groups", "courses", "events"} {
			if n := s.Count(t, table); n != 0 {
				t.Errorf("%d rows in %s after refusals", n, table)
			}
		}
		// Over SCIM as well (the same middleware guards every face).
		scimKey := tenant.NewKey(t, "scim")
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/scim/v2/Users", Key: scimKey,
			Body: "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"b\xffu2@example.com\"}"}).Expect(t, http.StatusUnprocessableEntity)
		// A literal backslash-u in text is fine, and so are surrogate pairs.
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/users", Key: tenant.Key,
			Body: `{"name":"Smile \ud83d\ude00","email":"pair@example.com"}`}).Expect(t, http.StatusCreated)
		s.Do(t, apptest.Request{Method: http.MethodPost, Path: "/api/v1/users", Key: tenant.Key,
			Body: `{"name":"C:\\u0000 path","email":"e@example.com"}`}).Expect(t, http.StatusCreated)
	})
}
