package learning_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
)

func TestGroupAssignmentIsARule(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		for _, u := range []string{"ann", "bob", "cat", "dan", "eve"} {
			e.user(t, u)
		}
		sales := e.group(t, "Sales", 0)
		emea := e.group(t, "EMEA", sales)
		course := e.course(t, "Onboarding")
		e.join(t, sales, "ann", "bob")
		e.join(t, emea, "cat")

		out := e.assign(t, course, map[string]any{"groups": []int64{sales}})
		if out.EnrollmentsCreated != 2 || len(out.Groups) != 1 || out.Groups[0].UsersCount != 2 {
			t.Fatalf("assign: %+v", out)
		}
		expectIDs(t, "present members", e.enrolled(t, course), "ann", "bob")
		if a := e.enrollment(t, course, "ann"); a.Status != "assigned" || a.Source.Direct || !slices.Equal(a.Source.Groups, []int64{sales}) {
			t.Fatalf("source: %+v", a)
		}

		// A future member is enrolled; joining again changes nothing.
		e.join(t, sales, "dan")
		e.join(t, sales, "dan", "ann")
		expectIDs(t, "future member", e.enrolled(t, course), "ann", "bob", "dan")

		// Leaving removes an enrollment that only the group gave …
		e.leave(t, sales, "dan")
		expectIDs(t, "after leaving", e.enrolled(t, course), "ann", "bob")
		// … but not one with progress, nor one also assigned directly.
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/progress", course), map[string]any{"progress": 10}).Expect(t, http.StatusOK)
		e.assign(t, course, map[string]any{"users": []string{"bob"}})
		e.leave(t, sales, "ann")
		e.leave(t, sales, "bob")
		expectIDs(t, "progress and direct stay", e.enrolled(t, course), "ann", "bob")
		if a := e.enrollment(t, course, "bob"); !a.Source.Direct || len(a.Source.Groups) != 0 {
			t.Fatalf("bob's source: %+v", a.Source)
		}

		// Subgroups only with the flag; members of two assigned groups keep
		// the course when leaving one.
		e.join(t, sales, "eve")
		expectIDs(t, "no subgroups", e.enrolled(t, course), "ann", "bob", "eve")
		out = e.assign(t, course, map[string]any{"groups": []int64{sales}, "includeSubgroups": true})
		if out.EnrollmentsCreated != 1 {
			t.Fatalf("subgroup fan-out created %d", out.EnrollmentsCreated)
		}
		expectIDs(t, "with subgroups", e.enrolled(t, course), "ann", "bob", "cat", "eve")
		e.join(t, emea, "eve")
		e.leave(t, sales, "eve")
		expectIDs(t, "still in a subgroup", e.enrolled(t, course), "ann", "bob", "cat", "eve")
		if a := e.enrollment(t, course, "eve"); !slices.Equal(a.Source.Groups, []int64{sales}) {
			t.Fatalf("eve reached through the subgroup: %+v", a.Source)
		}

		var rules struct {
			Assignments []struct {
				IncludeSubgroups bool `json:"includeSubgroups"`
				Group            struct {
					ID           int64 `json:"id"`
					CoursesCount int   `json:"coursesCount"`
				} `json:"group"`
			} `json:"assignments"`
			TotalCount int `json:"totalCount"`
		}
		e.call(t, http.MethodGet, fmt.Sprintf("/courses/%d/assignments/groups", course), nil).Expect(t, http.StatusOK).JSON(t, &rules)
		if rules.TotalCount != 1 || rules.Assignments[0].Group.ID != sales || !rules.Assignments[0].IncludeSubgroups ||
			rules.Assignments[0].Group.CoursesCount != 1 {
			t.Fatalf("assigned groups: %+v", rules)
		}
		var mine assignmentPage
		e.call(t, http.MethodGet, "/users/cat/courses?status=assigned", nil).Expect(t, http.StatusOK).JSON(t, &mine)
		if mine.TotalCount != 1 || mine.Assignments[0].Course.ID != course {
			t.Fatalf("cat's courses: %+v", mine)
		}
		e.call(t, http.MethodGet, "/users/cat/courses?status=completed", nil).Expect(t, http.StatusOK).JSON(t, &mine)
		if mine.TotalCount != 0 {
			t.Fatalf("cat's completed courses: %+v", mine)
		}

		// Narrowing the rule back drops subgroup members.
		e.assign(t, course, map[string]any{"groups": []int64{sales}})
		expectIDs(t, "narrowed", e.enrolled(t, course), "ann", "bob")

		// Moving a subgroup under an assigned group enrolls its members;
		// moving it away removes them.
		e.assign(t, course, map[string]any{"groups": []int64{sales}, "includeSubgroups": true})
		e.call(t, http.MethodPut, fmt.Sprintf("/groups/%d", emea), map[string]any{"parentId": nil}).Expect(t, http.StatusOK)
		expectIDs(t, "subgroup moved out", e.enrolled(t, course), "ann", "bob")
		e.call(t, http.MethodPatch, fmt.Sprintf("/groups/%d", emea), map[string]any{"parentId": sales}).Expect(t, http.StatusOK)
		expectIDs(t, "subgroup moved in", e.enrolled(t, course), "ann", "bob", "cat", "eve")

		// Unassigning the group removes what only it gave.
		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/groups/%d", course, sales), nil).Expect(t, http.StatusNoContent)
		expectIDs(t, "group unassigned", e.enrolled(t, course), "ann", "bob")
		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/groups/%d", course, sales), nil).Problem(t, http.StatusNotFound)

		types := e.events(t)
		if count(types, "course.assigned") != 5 || count(types, "enrollment.created") != 0 || count(types, "course.unassigned") != 1 {
			t.Fatalf("events: %v", types)
		}
	})
}

func TestDirectAssignment(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		e.user(t, "ann")
		e.user(t, "bob")
		course := e.course(t, "Safety")
		deadline := time.Now().Add(48 * time.Hour).Unix()
		out := e.assign(t, course, map[string]any{"users": []string{"ann", "bob", "ann"}, "deadlineAt": deadline})
		if out.EnrollmentsCreated != 2 || len(out.Users) != 2 {
			t.Fatalf("assign: %+v", out)
		}
		a := e.enrollment(t, course, "ann")
		if a.Status != "assigned" || a.DeadlineAt != deadline || !a.Source.Direct || a.AssignedAt == 0 || a.StartedAt != 0 || a.Course.ID != course {
			t.Fatalf("enrollment: %+v", a)
		}
		// Assigning again is no error and moves the deadline.
		later := deadline + 3600
		out = e.assign(t, course, map[string]any{"users": []string{"ann"}, "deadlineAt": later})
		if out.EnrollmentsCreated != 0 || e.enrollment(t, course, "ann").DeadlineAt != later {
			t.Fatalf("re-assign: %+v", out)
		}

		// The user's courses, also at Konstantly's path.
		for _, path := range []string{"/users/ann/courses", "/users/ann/assignments"} {
			var page assignmentPage
			e.call(t, http.MethodGet, path, nil).Expect(t, http.StatusOK).JSON(t, &page)
			if page.TotalCount != 1 || page.Assignments[0].Course.Name != "Safety" {
				t.Fatalf("%s: %+v", path, page)
			}
		}
		// Konstantly's POST /users/{id}/assignments and POST /courses/{id}/assignments.
		other := e.course(t, "Ethics")
		var many struct {
			Assignments []assignment `json:"assignments"`
		}
		e.call(t, http.MethodPost, "/users/bob/assignments", map[string]any{"courses": []int64{other, course}}).Expect(t, http.StatusOK).JSON(t, &many)
		if len(many.Assignments) != 2 || many.Assignments[0].Course.ID != other {
			t.Fatalf("assign courses: %+v", many)
		}
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/assignments", other), map[string]any{"users": []string{"ann"}}).Expect(t, http.StatusOK)
		expectIDs(t, "compat assign", e.enrolled(t, other), "ann", "bob")

		// Unassigning a direct user removes the enrollment; a second time is 404.
		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/users/bob", course), nil).Expect(t, http.StatusNoContent)
		expectIDs(t, "unassigned", e.enrolled(t, course), "ann")
		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/users/bob", course), nil).Problem(t, http.StatusNotFound)
		// With progress it stays.
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/progress", course), map[string]any{"progress": 5}).Expect(t, http.StatusOK)
		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d/assignments/users/ann", course), nil).Expect(t, http.StatusNoContent)
		expectIDs(t, "progress kept", e.enrolled(t, course), "ann")
	})
}

func TestAssignRefusesBadInput(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		e.user(t, "ann")
		g := e.group(t, "G", 0)
		course := e.course(t, "C")
		other := newEnv(t, s)
		foreignGroup := other.group(t, "Theirs", 0)
		other.user(t, "zed")
		before := s.Count(t, "events")
		cases := []struct {
			name  string
			body  any
			field string
		}{
			{"nothing to assign", map[string]any{}, "users"},
			{"unknown user", map[string]any{"users": []string{"ann", "nobody"}}, "users[1]"},
			{"other workspace's user", map[string]any{"users": []string{"zed"}}, "users[0]"},
			{"malformed user id", map[string]any{"users": []string{"has space"}}, "users[0]"},
			{"unknown group", map[string]any{"groups": []int64{g, 999999}}, "groups[1]"},
			{"other workspace's group", map[string]any{"groups": []int64{foreignGroup}}, "groups[0]"},
			{"negative deadline", map[string]any{"users": []string{"ann"}, "deadlineAt": -5}, "deadlineAt"},
			{"deadline past year 9999", map[string]any{"users": []string{"ann"}, "deadlineAt": int64(9223372036854775807)}, "deadlineAt"},
			{"scheduled", map[string]any{"users": []string{"ann"}, "assignAt": time.Now().Add(time.Hour).Unix()}, "assignAt"},
			{"users not a list", map[string]any{"users": "ann"}, "users"},
			{"unknown field", map[string]any{"users": []string{"ann"}, "shoe": 1}, "shoe"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				p := e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/assign", course), tc.body).Problem(t, http.StatusUnprocessableEntity)
				if _, ok := p.Errors[tc.field]; !ok {
					t.Fatalf("problem does not name %q: %+v", tc.field, p)
				}
			})
		}
		if s.Count(t, "enrollments") != 0 || s.Count(t, "course_group_assignments") != 0 || s.Count(t, "events") != before {
			t.Fatal("a refused assignment wrote something")
		}
		e.call(t, http.MethodPost, "/courses/999999/assign", map[string]any{"users": []string{"ann"}}).Problem(t, http.StatusNotFound)
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/archive", course), nil).Expect(t, http.StatusOK)
		p := e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/assign", course), map[string]any{"users": []string{"ann"}}).Problem(t, http.StatusConflict)
		if p.Code != "course_archived" {
			t.Fatalf("archived: %+v", p)
		}
	})
}
