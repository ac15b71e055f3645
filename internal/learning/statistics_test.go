package learning_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type counts struct {
	Total, Assigned, InProgress, Completed, Overdue int
}

func TestStatistics(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		for _, u := range []string{"ann", "bob", "cat", "dan"} {
			e.user(t, u)
		}
		g := e.group(t, "Team", 0)
		e.join(t, g, "ann", "bob", "cat")
		c1, c2 := e.course(t, "One"), e.course(t, "Two")
		e.course(t, "Unused")
		e.assign(t, c1, map[string]any{"groups": []int64{g}, "deadlineAt": time.Now().Add(time.Second).Unix()})
		e.assign(t, c2, map[string]any{"users": []string{"ann", "dan"}})
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/complete", c1), map[string]any{"resultValue": 80}).Expect(t, http.StatusOK)
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/complete", c2), map[string]any{"resultValue": 60}).Expect(t, http.StatusOK)
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/bob/progress", c1), map[string]any{"progress": 40}).Expect(t, http.StatusOK)
		time.Sleep(1100 * time.Millisecond)
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/dan/progress", c2), map[string]any{"progress": 10}).Expect(t, http.StatusOK)
		if _, err := s.App.Learning.SweepOverdue(context.Background()); err != nil {
			t.Fatal(err)
		}
		// c1: ann completed, bob overdue (started), cat overdue; c2: ann completed, dan in progress.

		var course struct {
			Enrollments     counts `json:"enrollments"`
			GroupsCount     int    `json:"groupsCount"`
			AverageProgress int    `json:"averageProgress"`
		}
		e.call(t, http.MethodGet, fmt.Sprintf("/courses/%d/statistics", c1), nil).Expect(t, http.StatusOK).JSON(t, &course)
		if course.Enrollments != (counts{Total: 3, Completed: 1, Overdue: 2}) || course.GroupsCount != 1 || course.AverageProgress != 47 {
			t.Fatalf("course statistics: %+v", course)
		}

		var group struct {
			Group struct {
				ID int64 `json:"id"`
			} `json:"group"`
			Enrollments          counts `json:"enrollments"`
			UsersWithoutActivity []struct {
				ID string `json:"id"`
			} `json:"usersWithoutActivity"`
			UsersWithoutResults []struct {
				ID string `json:"id"`
			} `json:"usersWithoutResults"`
			Leaders []struct {
				CoursesCount int `json:"coursesCount"`
				ResultValue  int `json:"resultValue"`
				User         struct {
					ID string `json:"id"`
				} `json:"user"`
			} `json:"leaders"`
		}
		e.call(t, http.MethodGet, fmt.Sprintf("/groups/%d/statistics", g), nil).Expect(t, http.StatusOK).JSON(t, &group)
		if group.Group.ID != g || group.Enrollments != (counts{Total: 4, Completed: 2, Overdue: 2}) ||
			len(group.UsersWithoutActivity) != 1 || group.UsersWithoutActivity[0].ID != "cat" ||
			len(group.UsersWithoutResults) != 1 || group.UsersWithoutResults[0].ID != "bob" ||
			len(group.Leaders) != 1 || group.Leaders[0].User.ID != "ann" || group.Leaders[0].CoursesCount != 2 || group.Leaders[0].ResultValue != 70 {
			t.Fatalf("group statistics: %+v", group)
		}

		var ws struct {
			Statistics struct {
				CoursesCount, AssignedCoursesCount, GroupsCount, UsersCount int
			} `json:"statistics"`
			Enrollments       counts `json:"enrollments"`
			UnassignedCourses []struct {
				Name string `json:"name"`
			} `json:"unassignedCourses"`
		}
		e.call(t, http.MethodGet, "/statistics", nil).Expect(t, http.StatusOK).JSON(t, &ws)
		if ws.Statistics.CoursesCount != 3 || ws.Statistics.AssignedCoursesCount != 5 || ws.Statistics.GroupsCount != 1 ||
			ws.Statistics.UsersCount != 4 || ws.Enrollments != (counts{Total: 5, InProgress: 1, Completed: 2, Overdue: 2}) ||
			len(ws.UnassignedCourses) != 1 || ws.UnassignedCourses[0].Name != "Unused" {
			t.Fatalf("workspace statistics: %+v", ws)
		}
		// Another workspace sees none of it.
		other := newEnv(t, s)
		other.call(t, http.MethodGet, "/statistics", nil).Expect(t, http.StatusOK).JSON(t, &ws)
		if ws.Enrollments.Total != 0 || ws.Statistics.CoursesCount != 0 {
			t.Fatalf("other workspace: %+v", ws)
		}
	})
}

func TestDeletingCleansUp(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		for _, u := range []string{"ann", "bob", "cat"} {
			e.user(t, u)
		}
		top := e.group(t, "Top", 0)
		mid := e.group(t, "Mid", top)
		leaf := e.group(t, "Leaf", mid)
		e.join(t, mid, "ann", "bob")
		e.join(t, leaf, "cat")
		c := e.course(t, "C")
		e.assign(t, c, map[string]any{"groups": []int64{mid}, "includeSubgroups": true})
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/bob/progress", c), map[string]any{"progress": 5}).Expect(t, http.StatusOK)
		expectIDs(t, "before", e.enrolled(t, c), "ann", "bob", "cat")

		// Deleting a user takes their memberships and enrollments with them.
		e.call(t, http.MethodDelete, "/users/ann", nil).Expect(t, http.StatusNoContent)
		expectIDs(t, "user deleted", e.enrolled(t, c), "bob", "cat")
		if n := rows(t, s, `SELECT count(*) FROM group_members m LEFT JOIN users u ON u.id = m.user_id WHERE u.id IS NULL`); n != 0 {
			t.Fatalf("%d memberships of deleted users", n)
		}

		// Deleting the group: its subgroup moves up; enrollments only it gave
		// go (cat's), those with progress stay (bob's); its rule goes.
		e.call(t, http.MethodDelete, fmt.Sprintf("/groups/%d", mid), nil).Expect(t, http.StatusNoContent)
		expectIDs(t, "group deleted", e.enrolled(t, c), "bob")
		var leafGroup struct {
			ParentID *int64 `json:"parentId"`
		}
		e.call(t, http.MethodGet, fmt.Sprintf("/groups/%d", leaf), nil).Expect(t, http.StatusOK).JSON(t, &leafGroup)
		if leafGroup.ParentID == nil || *leafGroup.ParentID != top {
			t.Fatalf("subgroup not moved up: %+v", leafGroup)
		}
		for _, q := range []string{
			`SELECT count(*) FROM group_members WHERE group_id NOT IN (SELECT id FROM groups)`,
			`SELECT count(*) FROM course_group_assignments WHERE group_id NOT IN (SELECT id FROM groups)`,
			`SELECT count(*) FROM enrollments WHERE user_id NOT IN (SELECT id FROM users)`,
		} {
			if n := rows(t, s, q); n != 0 {
				t.Fatalf("%d dangling rows: %s", n, q)
			}
		}

		// Deleting the course takes its enrollments.
		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d", c), nil).Expect(t, http.StatusNoContent)
		if n := s.Count(t, "enrollments"); n != 0 {
			t.Fatalf("%d enrollments left", n)
		}
	})
}

func rows(t *testing.T, s *apptest.Server, query string) int {
	t.Helper()
	var n int
	if err := s.App.DB.Read().QueryRowContext(t.Context(), query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestOtherWorkspaceIsNotFound calls every learning route with ids of
// another workspace.
func TestOtherWorkspaceIsNotFound(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		owner := newEnv(t, s)
		owner.user(t, "ann")
		g := owner.group(t, "G", 0)
		c := owner.course(t, "C")
		owner.assign(t, c, map[string]any{"users": []string{"ann"}, "groups": []int64{g}})
		e := newEnv(t, s)
		e.user(t, "bob")
		mine := e.course(t, "Mine")
		before := s.Count(t, "events")
		for _, r := range []struct{ method, path string }{
			{http.MethodGet, fmt.Sprintf("/courses/%d", c)},
			{http.MethodPut, fmt.Sprintf("/courses/%d", c)},
			{http.MethodPatch, fmt.Sprintf("/courses/%d", c)},
			{http.MethodDelete, fmt.Sprintf("/courses/%d", c)},
			{http.MethodPost, fmt.Sprintf("/courses/%d/archive", c)},
			{http.MethodPost, fmt.Sprintf("/courses/%d/unarchive", c)},
			{http.MethodPost, fmt.Sprintf("/courses/%d/assign", c)},
			{http.MethodPost, fmt.Sprintf("/courses/%d/assignments", c)},
			{http.MethodGet, fmt.Sprintf("/courses/%d/assignments/users", c)},
			{http.MethodGet, fmt.Sprintf("/courses/%d/assignments/groups", c)},
			{http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/users/ann", c)},
			{http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/groups/%d", c, g)},
			{http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/groups/%d", mine, g)},
			{http.MethodGet, fmt.Sprintf("/courses/%d/enrollments/ann", c)},
			{http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/progress", c)},
			{http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/complete", c)},
			{http.MethodGet, fmt.Sprintf("/courses/%d/statistics", c)},
			{http.MethodGet, fmt.Sprintf("/groups/%d/statistics", g)},
			{http.MethodGet, "/users/ann/courses"},
			{http.MethodGet, "/users/ann/assignments"},
			{http.MethodPost, "/users/ann/assignments"},
		} {
			t.Run(r.method+" "+r.path, func(t *testing.T) {
				var body any
				switch {
				case strings.HasSuffix(r.path, "/progress"):
					body = map[string]any{"progress": 50}
				case strings.HasSuffix(r.path, "/assign") || strings.HasSuffix(r.path, "/assignments") && r.method == http.MethodPost && strings.HasPrefix(r.path, "/courses"):
					body = map[string]any{"users": []string{"bob"}}
				case r.path == "/users/ann/assignments" && r.method == http.MethodPost:
					body = map[string]any{"courses": []int64{mine}}
				case r.method == http.MethodPut || r.method == http.MethodPatch:
					body = map[string]any{"name": "Stolen"}
				}
				e.call(t, r.method, r.path, body).Problem(t, http.StatusNotFound)
			})
		}
		if s.Count(t, "events") != before {
			t.Fatal("a cross-workspace call wrote events")
		}
	})
}
