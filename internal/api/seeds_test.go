package api_test

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

// The seeds Roster was built from, copied verbatim into testdata: the test
// reads their request examples and field tables from the documents, so an
// edit that breaks a seed's shape fails here.
const (
	seedZapier = "testdata/seeds/000_konstantly_zapier_actions.txt"
	seedGHL    = "testdata/seeds/001_ghl_style.txt"
)

// seedAction is one "### Action" of seed 000: its field table and, when the
// seed has one, its request example exactly as written.
type seedAction struct {
	name    string
	fields  []seedField
	example string
}

type seedField struct{ name, typ string }

var (
	actionHeading = regexp.MustCompile(`(?m)^### (.+)$`)
	paramField    = regexp.MustCompile(`<ParamField body="(\w+)" type="(\w+)"`)
	jsonBlock     = regexp.MustCompile("(?s)```json[^\n]*\n(.*?)```")
)

func readSeed(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// zapierActions parses seed 000's actions.
func zapierActions(t *testing.T) map[string]seedAction {
	t.Helper()
	doc := readSeed(t, seedZapier)
	doc = doc[:strings.Index(doc, "## Using Actions")]
	heads := actionHeading.FindAllStringSubmatchIndex(doc, -1)
	out := map[string]seedAction{}
	for i, h := range heads {
		end := len(doc)
		if i+1 < len(heads) {
			end = heads[i+1][0]
		}
		section := doc[h[1]:end]
		a := seedAction{name: doc[h[2]:h[3]]}
		for _, m := range paramField.FindAllStringSubmatch(section, -1) {
			a.fields = append(a.fields, seedField{m[1], m[2]})
		}
		if m := jsonBlock.FindStringSubmatch(section); m != nil {
			a.example = m[1]
		}
		out[a.name] = a
	}
	for _, name := range []string{"Create User", "Update User", "Create Group", "Add User to Group", "Assign Course"} {
		if len(out[name].fields) == 0 {
			t.Fatalf("seed 000: action %q not found or without fields", name)
		}
	}
	return out
}

// fromTable builds a body from a field table: each field with the value
// values gives it, typed as the table says — a "string" id is sent as text,
// which is how Zapier maps it.
func fromTable(t *testing.T, a seedAction, values map[string]any) map[string]any {
	t.Helper()
	body := map[string]any{}
	for _, f := range a.fields {
		v, ok := values[f.name]
		if !ok {
			t.Fatalf("%s: no test value for field %s", a.name, f.name)
		}
		if f.typ == "string" {
			if n, ok := v.(int64); ok {
				v = fmt.Sprint(n) // an integer id typed string in the seed
			}
		}
		body[f.name] = v
	}
	return body
}

// TestSeedsReplayLiterally replays seed 000's request examples byte for
// byte and its field tables as typed, and seed 001's endpoints with their
// key fields, against a live server, checking each result through the API.
func TestSeedsReplayLiterally(t *testing.T) {
	actions := zapierActions(t)
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		call := func(method, path string, body any) *apptest.Response {
			return tenant.Call(t, method, "/api/v1"+path, body)
		}

		// Seed 000 Create User: the example as written.
		var jane user
		call(http.MethodPost, "/users", actions["Create User"].example).Expect(t, http.StatusCreated).JSON(t, &jane)
		if jane.Name != "Jane Smith" || jane.Email != "jane@example.com" || jane.RoleAlias != "learner" || jane.Language != "en" ||
			jane.Timezone != "Europe/London" || jane.CustomAttributes["department"] != "Sales" || jane.CustomAttributes["employee_id"] != "EMP123" {
			t.Fatalf("Create User: %+v", jane)
		}

		// Seed 001 POST /users/ with its key fields: userId, email, name, status.
		ghl := readSeed(t, seedGHL)
		keyFields := keyFieldsByEndpoint(t, ghl)
		for _, id := range []string{"user_123", "user_124"} {
			body := map[string]any{}
			for _, f := range keyFields["POST /users/"] {
				body[f] = map[string]any{"userId": id, "email": id + "@example.com", "name": "User " + id, "status": "active"}[f]
			}
			var u user
			call(http.MethodPost, "/users/", body).Expect(t, http.StatusCreated).JSON(t, &u)
			if u.ID != id || u.Status != "active" {
				t.Fatalf("POST /users/ %v: %+v", body, u)
			}
		}

		// Seed 000 Update User, field table: id and email in the body, with
		// and without the id in the path.
		upd := fromTable(t, actions["Update User"], map[string]any{"id": jane.ID, "email": "jane@example.com", "name": "Jane Q. Smith",
			"customAttributes": map[string]any{"department": "Support"}})
		call(http.MethodPut, "/users/"+jane.ID, upd).Expect(t, http.StatusOK)
		upd["name"] = "Jane Smith"
		call(http.MethodPut, "/users", upd).Expect(t, http.StatusOK)
		var got user
		call(http.MethodGet, "/users/"+jane.ID, nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Name != "Jane Smith" || got.CustomAttributes["department"] != "Support" || got.CustomAttributes["employee_id"] != "EMP123" {
			t.Fatalf("Update User: %+v", got)
		}

		// Seed 000 Create Group, field table; groups 1 and 2 are the ones
		// the Assign Course example names.
		var groupIDs []int64
		for i, name := range []string{"Sales", "Support"} {
			body := fromTable(t, actions["Create Group"], map[string]any{"name": name, "parentId": nil, "description": name + " team",
				"customAttributes": map[string]any{}})
			if i == 1 {
				body["parentId"] = groupIDs[0]
			}
			g := call(http.MethodPost, "/groups", body).Expect(t, http.StatusCreated).Map(t)
			groupIDs = append(groupIDs, int64(g["id"].(float64)))
		}
		if groupIDs[0] != 1 || groupIDs[1] != 2 {
			t.Fatalf("a fresh database numbers groups 1 and 2, got %v", groupIDs)
		}

		// Seed 000 Add User to Group, field table: userId typed string,
		// groupId integer — and as text, as no-code tools map it.
		call(http.MethodPost, "/groups/users", fromTable(t, actions["Add User to Group"], map[string]any{"userId": jane.ID, "groupId": groupIDs[0]})).
			Expect(t, http.StatusOK)
		call(http.MethodPost, "/groups/users", map[string]any{"userId": "user_123", "groupId": fmt.Sprint(groupIDs[1])}).Expect(t, http.StatusOK)
		var members userPage
		call(http.MethodGet, fmt.Sprintf("/groups/%d/users", groupIDs[0]), nil).Expect(t, http.StatusOK).JSON(t, &members)
		if members.TotalCount != 1 || members.Users[0].ID != jane.ID {
			t.Fatalf("Add User to Group: %+v", members)
		}

		// Seed 000 Assign Course: the example as written names course 123.
		// Seed 001's import brings courses in by courseId, title, category;
		// importing 123 of them gives a fresh database a course 123.
		var courses []any
		for i := 1; i <= 123; i++ {
			item := map[string]any{}
			for _, f := range keyFields["POST courses/courses-exporter/public/import"] {
				item[f] = map[string]any{"courseId": fmt.Sprintf("AS-%d", i), "title": fmt.Sprintf("Course %d", i), "category": "Compliance"}[f]
			}
			courses = append(courses, item)
		}
		var imported struct {
			Created int `json:"created"`
		}
		call(http.MethodPost, "/courses/courses-exporter/public/import", map[string]any{"courses": courses}).Expect(t, http.StatusOK).JSON(t, &imported)
		if imported.Created != 123 {
			t.Fatalf("import: %+v", imported)
		}
		c123 := call(http.MethodGet, "/courses/123", nil).Expect(t, http.StatusOK).Map(t)
		if c123["title"] == "" || c123["title"] != c123["name"] || c123["category"] != "Compliance" {
			t.Fatalf("course 123: %v", c123)
		}
		call(http.MethodPost, "/courses/assign", actions["Assign Course"].example).Expect(t, http.StatusOK)
		var enrolled struct {
			Assignments []struct {
				User       struct{ ID string } `json:"user"`
				DeadlineAt int64               `json:"deadlineAt"`
			} `json:"assignments"`
			TotalCount int `json:"totalCount"`
		}
		call(http.MethodGet, "/courses/123/assignments/users", nil).Expect(t, http.StatusOK).JSON(t, &enrolled)
		// user_123 and user_124 directly; Jane through group 1 (user_123 is
		// in group 2 as well).
		if enrolled.TotalCount != 3 || enrolled.Assignments[0].DeadlineAt != 1643673600 {
			t.Fatalf("Assign Course: %+v", enrolled)
		}
		// The same example on the path form, where courseId must match.
		call(http.MethodPost, "/courses/123/assign", actions["Assign Course"].example).Expect(t, http.StatusOK)
		call(http.MethodPost, "/courses/124/assign", actions["Assign Course"].example).Problem(t, http.StatusUnprocessableEntity)

		// An imported course is assigned by the courseId it was imported with.
		call(http.MethodPost, "/courses/assign", map[string]any{"courseExternalId": "AS-7", "users": []string{"user_124"}}).Expect(t, http.StatusOK)
		var userCourses struct {
			TotalCount int `json:"totalCount"`
		}
		call(http.MethodGet, "/users/user_124/courses", nil).Expect(t, http.StatusOK).JSON(t, &userCourses)
		if userCourses.TotalCount != 2 {
			t.Fatalf("assign by courseExternalId: %+v", userCourses)
		}

		// Seed 001 GET /workflows/: items carry workflowId, name, status.
		call(http.MethodPost, "/workflows", map[string]any{"name": "Sync", "definition": map[string]any{
			"trigger": map[string]any{"type": "manual"},
			"steps":   []any{map[string]any{"id": "list", "op": "users.list", "input": map[string]any{}}}}}).Expect(t, http.StatusCreated)
		var wfs struct {
			Workflows []map[string]any `json:"workflows"`
		}
		call(http.MethodGet, "/workflows/", nil).Expect(t, http.StatusOK).JSON(t, &wfs)
		for _, f := range keyFields["GET /workflows/"] {
			if len(wfs.Workflows) != 1 || wfs.Workflows[0][f] == nil {
				t.Fatalf("GET /workflows/ lacks %s: %v", f, wfs)
			}
		}

		// Seed 001 PUT /users/:userId with the key fields, then DELETE.
		call(http.MethodPut, "/users/user_124", map[string]any{"userId": "user_124", "email": "user_124@example.com", "name": "User 124",
			"status": "deactivated"}).Expect(t, http.StatusOK)
		call(http.MethodGet, "/users/user_124", nil).Expect(t, http.StatusOK).JSON(t, &got)
		if got.Status != "deactivated" || !got.IsBanned {
			t.Fatalf("PUT /users/:userId status: %+v", got)
		}
		call(http.MethodDelete, "/users/user_124", nil).Expect(t, http.StatusNoContent)
		call(http.MethodGet, "/users/user_124", nil).Problem(t, http.StatusNotFound)
	})
}

// keyFieldsByEndpoint reads seed 001's "Key fields:" lines, each under the
// endpoint line it describes.
func keyFieldsByEndpoint(t *testing.T, doc string) map[string][]string {
	t.Helper()
	lines := strings.Split(doc, "\n")
	out := map[string][]string{}
	for i, l := range lines {
		fields, ok := strings.CutPrefix(l, "Key fields: ")
		if !ok || i == 0 {
			continue
		}
		endpoint, _, _ := strings.Cut(lines[i-1], " (")
		for _, f := range strings.Split(fields, ",") {
			out[endpoint] = append(out[endpoint], strings.TrimSpace(f))
		}
	}
	want := []string{"POST /users/", "GET /workflows/", "POST courses/courses-exporter/public/import"}
	for _, e := range want {
		if len(out[e]) == 0 {
			t.Fatalf("seed 001: no key fields for %s (found %v)", e, out)
		}
	}
	return out
}
