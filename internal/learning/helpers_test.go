package learning_test

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// env is one tenant on a test server with helpers for the learning API.
type env struct {
	s *apptest.Server
	t *apptest.Tenant
}

func newEnv(t *testing.T, s *apptest.Server) *env { return &env{s: s, t: s.Tenant(t)} }

func (e *env) call(t *testing.T, method, path string, body any) *apptest.Response {
	t.Helper()
	return e.t.Call(t, method, "/api/v1"+path, body)
}

func (e *env) user(t *testing.T, id string) string {
	t.Helper()
	e.call(t, http.MethodPost, "/users", map[string]any{"id": id, "name": "User " + id, "email": id + "@example.com"}).
		Expect(t, http.StatusCreated)
	return id
}

func (e *env) group(t *testing.T, name string, parent int64) int64 {
	t.Helper()
	body := map[string]any{"name": name}
	if parent != 0 {
		body["parentId"] = parent
	}
	var g struct {
		ID int64 `json:"id"`
	}
	e.call(t, http.MethodPost, "/groups", body).Expect(t, http.StatusCreated).JSON(t, &g)
	return g.ID
}

func (e *env) course(t *testing.T, name string) int64 {
	t.Helper()
	var c struct {
		ID int64 `json:"id"`
	}
	e.call(t, http.MethodPost, "/courses", map[string]any{"name": name}).Expect(t, http.StatusCreated).JSON(t, &c)
	return c.ID
}

func (e *env) join(t *testing.T, group int64, users ...string) {
	t.Helper()
	e.call(t, http.MethodPost, fmt.Sprintf("/groups/%d/users", group), map[string]any{"users": users}).Expect(t, http.StatusOK)
}

func (e *env) leave(t *testing.T, group int64, user string) {
	t.Helper()
	e.call(t, http.MethodDelete, fmt.Sprintf("/groups/%d/users/%s", group, user), nil).Expect(t, http.StatusNoContent)
}

func (e *env) assign(t *testing.T, course int64, body map[string]any) assigned {
	t.Helper()
	var out assigned
	e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/assign", course), body).Expect(t, http.StatusOK).JSON(t, &out)
	return out
}

type assigned struct {
	Users []struct {
		ID string `json:"id"`
	} `json:"users"`
	Groups []struct {
		ID         int64 `json:"id"`
		UsersCount int   `json:"usersCount"`
	} `json:"groups"`
	EnrollmentsCreated int `json:"enrollmentsCreated"`
}

type assignment struct {
	Status      string `json:"status"`
	AssignedAt  int64  `json:"assignedAt"`
	DeadlineAt  int64  `json:"deadlineAt"`
	StartedAt   int64  `json:"startedAt"`
	CompletedAt int64  `json:"completedAt"`
	FinishedAt  int64  `json:"finishedAt"`
	Progress    int    `json:"progress"`
	ResultValue int    `json:"resultValue"`
	IsExpired   bool   `json:"isExpired"`
	Source      struct {
		Direct bool    `json:"direct"`
		Groups []int64 `json:"groups"`
	} `json:"source"`
	Course *struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"course"`
	User *struct {
		ID string `json:"id"`
	} `json:"user"`
}

type assignmentPage struct {
	Assignments []assignment `json:"assignments"`
	TotalCount  int          `json:"totalCount"`
}

// enrolled returns the sorted user ids enrolled in a course.
func (e *env) enrolled(t *testing.T, course int64) []string {
	t.Helper()
	var page assignmentPage
	e.call(t, http.MethodGet, fmt.Sprintf("/courses/%d/assignments/users?limit=100", course), nil).Expect(t, http.StatusOK).JSON(t, &page)
	ids := []string{}
	for _, a := range page.Assignments {
		ids = append(ids, a.User.ID)
	}
	sort.Strings(ids)
	if page.TotalCount != len(ids) {
		t.Fatalf("totalCount %d for %d assignments", page.TotalCount, len(ids))
	}
	return ids
}

func (e *env) enrollment(t *testing.T, course int64, user string) assignment {
	t.Helper()
	var a assignment
	e.call(t, http.MethodGet, fmt.Sprintf("/courses/%d/enrollments/%s", course, user), nil).Expect(t, http.StatusOK).JSON(t, &a)
	return a
}

func expectIDs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	sort.Strings(want)
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// events returns the types of the tenant's events, oldest first.
func (e *env) events(t *testing.T) []string {
	t.Helper()
	rows, err := e.s.App.DB.Read().QueryContext(t.Context(), `SELECT type FROM events WHERE workspace_id = $1 ORDER BY seq`, e.t.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ string
		if err := rows.Scan(&typ); err != nil {
			t.Fatal(err)
		}
		out = append(out, typ)
	}
	return out
}

func count(types []string, typ string) int {
	n := 0
	for _, x := range types {
		if x == typ {
			n++
		}
	}
	return n
}
