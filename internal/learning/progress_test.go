package learning_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
)

func TestProgress(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		e.user(t, "ann")
		e.user(t, "bob")
		c := e.course(t, "Course")
		e.assign(t, c, map[string]any{"users": []string{"ann"}})
		path := fmt.Sprintf("/courses/%d/enrollments/ann/progress", c)
		var a assignment
		e.call(t, http.MethodPost, path, map[string]any{"progress": 30}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.Status != "in_progress" || a.Progress != 30 || a.StartedAt == 0 || a.CompletedAt != 0 {
			t.Fatalf("started: %+v", a)
		}
		// Lower or equal progress changes nothing; higher records progress.
		e.call(t, http.MethodPost, path, map[string]any{"progress": 10}).Expect(t, http.StatusOK).JSON(t, &a)
		e.call(t, http.MethodPost, path, map[string]any{"progress": 30}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.Progress != 30 {
			t.Fatalf("progress went down: %+v", a)
		}
		e.call(t, http.MethodPost, path, map[string]any{"progress": 60, "resultValue": 70}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.Progress != 60 || a.ResultValue != 70 {
			t.Fatalf("progressed: %+v", a)
		}
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/complete", c), map[string]any{"resultValue": 90}).
			Expect(t, http.StatusOK).JSON(t, &a)
		if a.Status != "completed" || a.Progress != 100 || a.CompletedAt == 0 || a.FinishedAt != a.CompletedAt || a.ResultValue != 90 {
			t.Fatalf("completed: %+v", a)
		}
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/complete", c), nil).Expect(t, http.StatusOK)
		e.call(t, http.MethodPost, path, map[string]any{"progress": 50}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.Status != "completed" || a.Progress != 100 {
			t.Fatalf("completed enrollment changed: %+v", a)
		}
		types := e.events(t)
		for typ, want := range map[string]int{"enrollment.created": 1, "enrollment.started": 1, "enrollment.progressed": 3, "enrollment.completed": 1} {
			if count(types, typ) != want {
				t.Fatalf("%s: %d, want %d: %v", typ, count(types, typ), want, types)
			}
		}

		// Reaching 100 completes too.
		e.assign(t, c, map[string]any{"users": []string{"bob"}})
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/bob/progress", c), map[string]any{"progress": 100}).Expect(t, http.StatusOK).JSON(t, &a)
		if a.Status != "completed" || a.StartedAt == 0 {
			t.Fatalf("100 did not complete: %+v", a)
		}

		before := s.Count(t, "events")
		for _, tc := range []struct {
			path   string
			body   any
			status int
			field  string
		}{
			{path, map[string]any{"progress": 101}, http.StatusUnprocessableEntity, "progress"},
			{path, map[string]any{"progress": -1}, http.StatusUnprocessableEntity, "progress"},
			{path, map[string]any{}, http.StatusUnprocessableEntity, "progress"},
			{path, map[string]any{"progress": 5, "resultValue": 200}, http.StatusUnprocessableEntity, "resultValue"},
			{fmt.Sprintf("/courses/%d/enrollments/nobody/progress", c), map[string]any{"progress": 5}, http.StatusNotFound, ""},
			{"/courses/999999/enrollments/ann/progress", map[string]any{"progress": 5}, http.StatusNotFound, ""},
		} {
			p := e.call(t, http.MethodPost, tc.path, tc.body).Problem(t, tc.status)
			if tc.field != "" && len(p.Errors[tc.field]) == 0 {
				t.Fatalf("%v: problem does not name %s: %+v", tc.body, tc.field, p)
			}
		}
		other := e.course(t, "Not assigned")
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/ann/progress", other), map[string]any{"progress": 5}).Problem(t, http.StatusNotFound)
		if s.Count(t, "events") != before+2 { // the course.created and course.published above
			t.Fatal("refused progress recorded events")
		}
	})
}

func TestOverdueSweep(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		for _, u := range []string{"ann", "bob", "cat", "dan"} {
			e.user(t, u)
		}
		g := e.group(t, "Team", 0)
		e.join(t, g, "ann", "bob", "cat")
		c := e.course(t, "Deadline")
		soon := time.Now().Add(2 * time.Second).Unix()
		e.assign(t, c, map[string]any{"groups": []int64{g}, "deadlineAt": soon})
		e.assign(t, c, map[string]any{"users": []string{"dan"}, "deadlineAt": time.Now().Add(time.Hour).Unix()})
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/bob/progress", c), map[string]any{"progress": 20}).Expect(t, http.StatusOK)
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/cat/complete", c), nil).Expect(t, http.StatusOK)

		sweep := func() int {
			n, err := s.App.Learning.SweepOverdue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := sweep(); n != 0 {
			t.Fatalf("swept %d before the deadline", n)
		}
		time.Sleep(time.Until(time.Unix(soon+1, 0)))
		if n := sweep(); n != 2 {
			t.Fatalf("swept %d, want ann and bob", n)
		}
		if n := sweep(); n != 0 {
			t.Fatalf("second sweep marked %d", n)
		}
		for user, want := range map[string]string{"ann": "overdue", "bob": "overdue", "cat": "completed", "dan": "assigned"} {
			if a := e.enrollment(t, c, user); a.Status != want || (want == "overdue") != a.IsExpired {
				t.Fatalf("%s: %+v, want %s", user, a, want)
			}
		}
		if n := count(e.events(t), "enrollment.overdue"); n != 2 {
			t.Fatalf("%d enrollment.overdue events", n)
		}
		// Progress keeps an overdue enrollment overdue; completing ends it.
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/enrollments/bob/progress", c), map[string]any{"progress": 50}).Expect(t, http.StatusOK)
		if a := e.enrollment(t, c, "bob"); a.Status != "overdue" {
			t.Fatalf("bob: %+v", a)
		}
		// A new deadline in the future opens it again.
		e.assign(t, c, map[string]any{"groups": []int64{g}, "deadlineAt": time.Now().Add(time.Hour).Unix()})
		if a, b := e.enrollment(t, c, "ann"), e.enrollment(t, c, "bob"); a.Status != "assigned" || b.Status != "in_progress" {
			t.Fatalf("reopened: %+v %+v", a, b)
		}
		if a := e.enrollment(t, c, "cat"); a.Status != "completed" {
			t.Fatalf("completed enrollment touched: %+v", a)
		}
	})
}
