package learning_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type course struct {
	ID          int64   `json:"id"`
	ExternalID  *string `json:"externalId"`
	Name        string  `json:"name"`
	Category    string  `json:"category"`
	IsDraft     bool    `json:"isDraft"`
	Status      string  `json:"status"`
	IsArchived  bool    `json:"isArchived"`
	PublishedAt int64   `json:"publishedAt"`
	ArchivedAt  int64   `json:"archivedAt"`
	CreatedAt   int64   `json:"createdAt"`
}

func TestCourses(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		var c course
		e.call(t, http.MethodPost, "/courses", map[string]any{"name": "Onboarding", "externalId": "ext-1", "category": "HR",
			"url": "https://lms.example.com/c/1", "durationMinutes": 45, "language": "pt-BR"}).Expect(t, http.StatusCreated).JSON(t, &c)
		if c.ID == 0 || *c.ExternalID != "ext-1" || c.Status != "active" || c.PublishedAt == 0 || c.CreatedAt == 0 {
			t.Fatalf("created: %+v", c)
		}
		draft := course{}
		e.call(t, http.MethodPost, "/courses", map[string]any{"name": "Draft", "isDraft": true}).Expect(t, http.StatusCreated).JSON(t, &draft)
		if draft.PublishedAt != 0 || draft.ExternalID != nil {
			t.Fatalf("draft: %+v", draft)
		}
		p := e.call(t, http.MethodPost, "/courses", map[string]any{"name": "Again", "externalId": "ext-1"}).Problem(t, http.StatusConflict)
		if p.Code != "external_id_taken" || len(p.Errors["externalId"]) == 0 {
			t.Fatalf("duplicate externalId: %+v", p)
		}

		var page struct {
			Courses    []course `json:"courses"`
			TotalCount int      `json:"totalCount"`
		}
		e.call(t, http.MethodGet, "/courses?query=ONBO", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 1 || page.Courses[0].ID != c.ID {
			t.Fatalf("query: %+v", page)
		}
		e.call(t, http.MethodGet, "/courses?limit=1&offset=1", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 2 || len(page.Courses) != 1 || page.Courses[0].Name != "Onboarding" {
			t.Fatalf("paging: %+v", page)
		}

		var up course
		e.call(t, http.MethodPut, fmt.Sprintf("/courses/%d", draft.ID), map[string]any{"isDraft": false, "category": "Ops"}).Expect(t, http.StatusOK).JSON(t, &up)
		if up.IsDraft || up.PublishedAt == 0 || up.Category != "Ops" || up.Name != "Draft" {
			t.Fatalf("updated: %+v", up)
		}
		e.call(t, http.MethodPatch, fmt.Sprintf("/courses/%d", draft.ID), map[string]any{"name": "Published"}).Expect(t, http.StatusOK).JSON(t, &up)
		if up.Name != "Published" {
			t.Fatalf("patched: %+v", up)
		}

		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/archive", c.ID), nil).Expect(t, http.StatusOK).JSON(t, &up)
		if !up.IsArchived || up.ArchivedAt == 0 {
			t.Fatalf("archived: %+v", up)
		}
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/archive", c.ID), nil).Expect(t, http.StatusOK)
		e.call(t, http.MethodGet, "/courses?status=archived", nil).Expect(t, http.StatusOK).JSON(t, &page)
		if page.TotalCount != 1 {
			t.Fatalf("archived filter: %+v", page)
		}
		e.call(t, http.MethodPost, fmt.Sprintf("/courses/%d/unarchive", c.ID), nil).Expect(t, http.StatusOK).JSON(t, &up)
		if up.IsArchived || up.Status != "active" {
			t.Fatalf("unarchived: %+v", up)
		}

		e.call(t, http.MethodDelete, fmt.Sprintf("/courses/%d", c.ID), nil).Expect(t, http.StatusNoContent)
		e.call(t, http.MethodGet, fmt.Sprintf("/courses/%d", c.ID), nil).Problem(t, http.StatusNotFound)
		types := e.events(t)
		for typ, want := range map[string]int{"course.created": 2, "course.updated": 3, "course.archived": 1, "course.deleted": 1} {
			if count(types, typ) != want {
				t.Fatalf("%s: %d events, want %d (%v)", typ, count(types, typ), want, types)
			}
		}
	})
}

func TestCoursesRejectBadInput(t *testing.T) {
	cases := []struct {
		name  string
		body  any
		field string
	}{
		{"missing name", map[string]any{}, "name"},
		{"blank name", map[string]any{"name": "  "}, "name"},
		{"long name", map[string]any{"name": strings.Repeat("x", 201)}, "name"},
		{"bad url", map[string]any{"name": "A", "url": "ftp://x"}, "url"},
		{"bad language", map[string]any{"name": "A", "language": "English"}, "language"},
		{"negative duration", map[string]any{"name": "A", "durationMinutes": -1}, "durationMinutes"},
		{"control chars in externalId", map[string]any{"name": "A", "externalId": "a\u0001b"}, "externalId"},
		{"unknown field", map[string]any{"name": "A", "price": 3}, "price"},
	}
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp := e.call(t, http.MethodPost, "/courses", tc.body)
				if resp.Status < 400 || resp.Status >= 500 {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				if p := resp.Problem(t, resp.Status); len(p.Errors[tc.field]) == 0 {
					t.Fatalf("problem does not name %q: %+v", tc.field, p)
				}
			})
		}
		if s.Count(t, "courses") != 0 || s.Count(t, "events") != 0 {
			t.Fatal("bad input wrote something")
		}
	})
}

type importOutcome struct {
	Results []struct {
		Index    int                 `json:"index"`
		CourseID string              `json:"courseId"`
		ID       int64               `json:"id"`
		Status   string              `json:"status"`
		Errors   map[string][]string `json:"errors"`
	} `json:"results"`
	Created, Updated, Unchanged, Failed int
}

func TestImportCourses(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		path := "/courses/courses-exporter/public/import"
		items := []map[string]any{
			{"courseId": "A-1", "title": "Alpha", "category": "Sales"},
			{"courseId": 42, "title": "Numeric id"},
			{"courseId": "A-3", "title": ""},
			{"title": "No id"},
			{"courseId": "A-1", "title": "Duplicate"},
			{"courseId": "A-6", "title": "Bad url", "url": "nope"},
		}
		var out importOutcome
		e.call(t, http.MethodPost, path, map[string]any{"courses": items}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Created != 2 || out.Failed != 4 || out.Results[1].CourseID != "42" || out.Results[0].ID == 0 {
			t.Fatalf("first import: %+v", out)
		}
		for i, field := range map[int]string{2: "title", 3: "courseId", 4: "courseId", 5: "url"} {
			if r := out.Results[i]; r.Status != "error" || len(r.Errors[field]) == 0 {
				t.Fatalf("item %d: %+v", i, r)
			}
		}
		alpha := out.Results[0].ID

		// The same call again changes nothing; a changed item is updated.
		e.call(t, http.MethodPost, path, map[string]any{"courses": items[:2]}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Unchanged != 2 || out.Created+out.Updated+out.Failed != 0 || out.Results[0].ID != alpha {
			t.Fatalf("repeat: %+v", out)
		}
		items[0]["category"] = "Marketing"
		e.call(t, http.MethodPost, path, map[string]any{"courses": items[:2]}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Updated != 1 || out.Unchanged != 1 || out.Results[0].Status != "updated" || out.Results[0].ID != alpha {
			t.Fatalf("update: %+v", out)
		}
		var c course
		e.call(t, http.MethodGet, fmt.Sprintf("/courses/%d", alpha), nil).Expect(t, http.StatusOK).JSON(t, &c)
		if c.Category != "Marketing" || c.Name != "Alpha" || *c.ExternalID != "A-1" {
			t.Fatalf("imported course: %+v", c)
		}
		if n := count(e.events(t), "course.imported"); n != 3 {
			t.Fatalf("%d course.imported events, want one per call", n)
		}

		// Structural problems refuse the whole call.
		e.call(t, http.MethodPost, path, map[string]any{"courses": []any{}}).Problem(t, http.StatusUnprocessableEntity)
		e.call(t, http.MethodPost, path, map[string]any{}).Problem(t, http.StatusUnprocessableEntity)
		too := make([]map[string]any, 10001)
		for i := range too {
			too[i] = map[string]any{"courseId": fmt.Sprint(i), "title": "x"}
		}
		e.call(t, http.MethodPost, path, map[string]any{"courses": too}).Problem(t, http.StatusUnprocessableEntity)
		if n := s.Count(t, "courses"); n != 2 {
			t.Fatalf("%d courses", n)
		}
	})
}

func TestImportTenThousandCourses(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		e := newEnv(t, s)
		items := make([]map[string]any, 10000)
		for i := range items {
			items[i] = map[string]any{"courseId": fmt.Sprintf("c-%05d", i), "title": fmt.Sprintf("Course %d", i),
				"category": "Bulk", "description": strings.Repeat("d", 200)}
		}
		var out importOutcome
		e.call(t, http.MethodPost, "/courses/courses-exporter/public/import", map[string]any{"courses": items}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Created != 10000 || s.Count(t, "courses") != 10000 {
			t.Fatalf("created %d", out.Created)
		}
		e.call(t, http.MethodPost, "/courses/courses-exporter/public/import", map[string]any{"courses": items}).Expect(t, http.StatusOK).JSON(t, &out)
		if out.Unchanged != 10000 {
			t.Fatalf("unchanged %d", out.Unchanged)
		}
	})
}
