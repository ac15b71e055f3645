package directory_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
)

type attribute struct {
	ID        int64    `json:"id"`
	Key       string   `json:"key"`
	APIID     string   `json:"apiId"`
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	TypeCode  int      `json:"typeCode"`
	Options   []string `json:"options"`
	ExtraData []struct {
		ID    int    `json:"id"`
		Value string `json:"value"`
	} `json:"extraData"`
	Multiple   bool `json:"multiple"`
	IsRequired bool `json:"isRequired"`
	Position   int  `json:"position"`
}

func TestAttributeDefinitions(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		var defs []attribute
		call(t, tenant, http.MethodPost, "/custom/attributes/users", []map[string]any{
			{"name": "Department", "type": "list", "options": []string{"Sales", "R&D"}, "isRequired": true},
			{"name": "Employee ID", "type": 1},
			{"apiId": "skills", "name": "Skills", "type": 4, "extraData": []map[string]any{{"position": 2, "value": "Go"}, {"position": 1, "value": "SQL"}}},
			{"key": "startDate", "name": "Start date", "type": "date"},
			{"key": "remote", "name": "Remote", "type": 6},
			{"key": "level", "name": "Level", "type": "number"},
			{"key": "profile", "name": "Profile", "type": "link"},
		}).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 7 || defs[0].Key != "department" || defs[0].TypeCode != 3 || len(defs[0].ExtraData) != 2 ||
			defs[1].Key != "employee_id" || defs[1].Type != "text" || defs[2].Type != "list" || !defs[2].Multiple ||
			defs[2].Options[0] != "SQL" || defs[4].Type != "boolean" || defs[6].Position != 7 {
			t.Fatalf("created: %+v", defs)
		}

		// Values are checked against the definitions on every user write.
		base := map[string]any{"name": "Ann", "email": "ann@example.com"}
		with := func(attrs map[string]any) map[string]any {
			out := map[string]any{"customAttributes": attrs}
			for k, v := range base {
				out[k] = v
			}
			return out
		}
		for _, tc := range []struct {
			attrs map[string]any
			field string
		}{
			{map[string]any{}, "customAttributes.department"},
			{map[string]any{"department": "Marketing"}, "customAttributes.department"},
			{map[string]any{"department": "Sales", "skills": []any{"Go", "Rust"}}, "customAttributes.skills"},
			{map[string]any{"department": "Sales", "skills": "Go"}, "customAttributes.skills"},
			{map[string]any{"department": "Sales", "startDate": "yesterday"}, "customAttributes.startDate"},
			{map[string]any{"department": "Sales", "remote": "yes"}, "customAttributes.remote"},
			{map[string]any{"department": "Sales", "level": "3"}, "customAttributes.level"},
			{map[string]any{"department": "Sales", "profile": "javascript:alert(1)"}, "customAttributes.profile"},
			{map[string]any{"department": "Sales", "employee_id": 12}, "customAttributes.employee_id"},
		} {
			p := call(t, tenant, http.MethodPost, "/users", with(tc.attrs)).Problem(t, http.StatusUnprocessableEntity)
			if len(p.Errors[tc.field]) == 0 {
				t.Fatalf("%v: problem does not name %s: %+v", tc.attrs, tc.field, p)
			}
		}
		if s.Count(t, "users") != 0 {
			t.Fatal("an invalid user was written")
		}
		good := map[string]any{"department": "Sales", "skills": []any{"Go"}, "startDate": "2024-05-31", "remote": true,
			"level": 3, "profile": "https://example.com/ann", "employee_id": "E-1", "unknownKey": "x"}
		// Once attributes are defined, unknown keys need the workspace's consent.
		p := call(t, tenant, http.MethodPost, "/users", with(good)).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["customAttributes.unknownKey"]) == 0 {
			t.Fatalf("unknown key with definitions: %+v", p)
		}
		var st struct {
			AllowUnknown bool `json:"allowUnknown"`
			IsDefault    bool `json:"isDefault"`
		}
		call(t, tenant, http.MethodGet, "/custom/attributes/users/settings", nil).Expect(t, http.StatusOK).JSON(t, &st)
		if st.AllowUnknown || !st.IsDefault {
			t.Fatalf("default settings with definitions: %+v", st)
		}
		call(t, tenant, http.MethodPut, "/custom/attributes/users/settings", map[string]any{"allowUnknown": true}).Expect(t, http.StatusOK).JSON(t, &st)
		if !st.AllowUnknown || st.IsDefault {
			t.Fatalf("allowed: %+v", st)
		}
		call(t, tenant, http.MethodPost, "/users", with(good)).Expect(t, http.StatusCreated)

		// Bulk creation checks each item.
		var bulk struct {
			Results []struct {
				Status string              `json:"status"`
				Errors map[string][]string `json:"errors"`
			} `json:"results"`
		}
		call(t, tenant, http.MethodPost, "/users/bulk", map[string]any{"users": []map[string]any{
			{"name": "B", "email": "b@example.com", "customAttributes": map[string]any{"department": "R&D"}},
			{"name": "C", "email": "c@example.com", "customAttributes": map[string]any{"department": "Nope"}},
		}}).Expect(t, http.StatusOK).JSON(t, &bulk)
		if bulk.Results[0].Status != "created" || bulk.Results[1].Status != "error" || len(bulk.Results[1].Errors["customAttributes.department"]) == 0 {
			t.Fatalf("bulk: %+v", bulk)
		}

		// An update checks the keys it touches; removing a required one is refused.
		var users struct {
			Users []struct {
				ID string `json:"id"`
			} `json:"users"`
		}
		call(t, tenant, http.MethodGet, "/users?email=ann@example.com", nil).Expect(t, http.StatusOK).JSON(t, &users)
		ann := users.Users[0].ID
		p = call(t, tenant, http.MethodPut, "/users/"+ann, map[string]any{"customAttributes": map[string]any{"department": nil}}).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["customAttributes.department"]) == 0 {
			t.Fatalf("removing a required attribute: %+v", p)
		}
		call(t, tenant, http.MethodPut, "/users/"+ann, map[string]any{"occupation": "Seller"}).Expect(t, http.StatusOK)

		// Back to the default: unknown keys refused again.
		call(t, tenant, http.MethodPut, "/custom/attributes/users/settings", map[string]any{"allowUnknown": nil}).Expect(t, http.StatusOK).JSON(t, &st)
		if st.AllowUnknown || !st.IsDefault {
			t.Fatalf("default again: %+v", st)
		}
		p = call(t, tenant, http.MethodPut, "/users/"+ann, map[string]any{"customAttributes": map[string]any{"shoe": 44}}).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["customAttributes.shoe"]) == 0 {
			t.Fatalf("strict: %+v", p)
		}

		// Updating by key or id; type and key cannot change.
		call(t, tenant, http.MethodPost, "/custom/attributes/users", []map[string]any{
			{"key": "department", "name": "Dept", "type": "list", "options": []string{"Sales", "R&D", "Ops"}, "isRequired": true},
			{"id": defs[5].ID, "name": "Grade", "type": 8},
		}).Expect(t, http.StatusOK).JSON(t, &defs)
		if defs[0].Name != "Dept" || len(defs[0].Options) != 3 || defs[1].Key != "level" || defs[1].Name != "Grade" {
			t.Fatalf("updated: %+v", defs)
		}
		before := s.Count(t, "events")
		for _, tc := range []struct {
			body  any
			field string
		}{
			{[]map[string]any{{"key": "department", "name": "D", "type": "text"}}, "body[0].type"},
			{[]map[string]any{{"id": defs[1].ID, "key": "grade", "name": "G", "type": "number"}}, "body[0].key"},
			{[]map[string]any{{"id": 999999, "name": "G", "type": "number"}}, "body[0].id"},
			{[]map[string]any{{"name": "X", "type": "list"}}, "body[0].options"},
			{[]map[string]any{{"name": "X", "type": 5}}, "body[0].type"},
			{[]map[string]any{{"name": "X", "type": "colour"}}, "body[0].type"},
			{[]map[string]any{{"name": "X", "type": "text", "options": []string{"a"}}}, "body[0].options"},
			{[]map[string]any{{"key": "9x", "name": "X", "type": "text"}}, "body[0].key"},
			{[]map[string]any{{"name": "Same", "type": "text"}, {"name": "Same", "type": "text"}}, "body[1].key"},
		} {
			p := call(t, tenant, http.MethodPost, "/custom/attributes/users", tc.body).Problem(t, http.StatusUnprocessableEntity)
			if len(p.Errors[tc.field]) == 0 {
				t.Fatalf("%v: problem does not name %s: %+v", tc.body, tc.field, p)
			}
		}
		if s.Count(t, "events") != before {
			t.Fatal("a refused definition change recorded an event")
		}

		call(t, tenant, http.MethodDelete, "/custom/attributes/users/profile", nil).Expect(t, http.StatusNoContent)
		call(t, tenant, http.MethodDelete, "/custom/attributes/users/profile", nil).Problem(t, http.StatusNotFound)
		call(t, tenant, http.MethodGet, "/custom/attributes/users", nil).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 6 {
			t.Fatalf("%d definitions after delete", len(defs))
		}
		// Another workspace has its own definitions.
		other := s.Tenant(t)
		call(t, other, http.MethodGet, "/custom/attributes/users", nil).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 0 {
			t.Fatalf("other workspace sees %d definitions", len(defs))
		}
		call(t, other, http.MethodDelete, "/custom/attributes/users/department", nil).Problem(t, http.StatusNotFound)
	})
}

func TestGroupAttributes(t *testing.T) {
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		call(t, tenant, http.MethodPost, "/custom/attributes/groups", []map[string]any{
			{"apiId": "costCenter", "name": "Cost center", "type": 8, "isRequired": true},
		}).Expect(t, http.StatusOK)
		p := call(t, tenant, http.MethodPost, "/groups", map[string]any{"name": "Sales"}).Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["customAttributes.costCenter"]) == 0 {
			t.Fatalf("required group attribute: %+v", p)
		}
		p = call(t, tenant, http.MethodPost, "/groups", map[string]any{"name": "Sales", "attributes": map[string]any{"costCenter": "x"}}).
			Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["customAttributes.costCenter"]) == 0 {
			t.Fatalf("typed group attribute: %+v", p)
		}
		g := createGroup(t, tenant, map[string]any{"name": "Sales", "attributes": map[string]any{"costCenter": 42}})
		p = call(t, tenant, http.MethodPatch, fmt.Sprintf("/groups/%d", g.ID), map[string]any{"attributes": map[string]any{"color": "red"}}).
			Problem(t, http.StatusUnprocessableEntity)
		if len(p.Errors["customAttributes.color"]) == 0 {
			t.Fatalf("unknown group attribute: %+v", p)
		}
		var defs []attribute
		call(t, tenant, http.MethodGet, "/custom/attributes/groups", nil).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 1 || defs[0].Key != "costCenter" || defs[0].Type != "number" {
			t.Fatalf("group definitions: %+v", defs)
		}
		// User attributes are separate.
		call(t, tenant, http.MethodGet, "/custom/attributes/users", nil).Expect(t, http.StatusOK).JSON(t, &defs)
		if len(defs) != 0 {
			t.Fatalf("user definitions: %+v", defs)
		}
	})
}
