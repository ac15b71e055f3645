package automation_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/mail/mailtest"
)

// installTemplate creates and publishes the shipped template key, read from
// GET /workflows/templates, with adapt applied to its definition's steps (the
// values its description says to set).
func installTemplate(t *testing.T, tenant *apptest.Tenant, key string, adapt func(steps []map[string]any)) workflow {
	t.Helper()
	var list struct {
		Templates []struct {
			Key        string         `json:"key"`
			Definition map[string]any `json:"definition"`
		} `json:"templates"`
	}
	tenant.Call(t, http.MethodGet, "/api/v1/workflows/templates", nil).Expect(t, http.StatusOK).JSON(t, &list)
	for _, tpl := range list.Templates {
		if tpl.Key != key {
			continue
		}
		raw, _ := json.Marshal(tpl.Definition["steps"])
		var steps []map[string]any
		if err := json.Unmarshal(raw, &steps); err != nil {
			t.Fatal(err)
		}
		if adapt != nil {
			adapt(steps)
		}
		tpl.Definition["steps"] = steps
		w := createWorkflow(t, tenant, tpl.Definition)
		publish(t, tenant, w.ID)
		return w
	}
	t.Fatalf("no template %q", key)
	return workflow{}
}

// eventually polls cond until it holds, failing with what after 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func memberIDs(t *testing.T, tenant *apptest.Tenant, groupID int64) []string {
	t.Helper()
	var page struct {
		Users []struct {
			ID string `json:"id"`
		} `json:"users"`
	}
	tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/groups/%d/users", groupID), nil).Expect(t, http.StatusOK).JSON(t, &page)
	var ids []string
	for _, u := range page.Users {
		ids = append(ids, u.ID)
	}
	return ids
}

func enrolledIn(t *testing.T, tenant *apptest.Tenant, courseID int64) int {
	t.Helper()
	var page struct {
		TotalCount int `json:"totalCount"`
	}
	tenant.Call(t, http.MethodGet, fmt.Sprintf("/api/v1/courses/%d/assignments/users", courseID), nil).Expect(t, http.StatusOK).JSON(t, &page)
	return page.TotalCount
}

func mailTo(smtp *mailtest.Server, to, subject string) bool {
	for _, m := range smtp.Messages() {
		if slices.Contains(m.To, to) && strings.Contains(m.Data, "Subject: "+subject) {
			return true
		}
	}
	return false
}

func createID(t *testing.T, tenant *apptest.Tenant, path string, body map[string]any) int64 {
	t.Helper()
	return int64(tenant.Call(t, http.MethodPost, "/api/v1"+path, body).Expect(t, http.StatusCreated).Map(t)["id"].(float64))
}

// TestSeedFlowsRunAsTemplates: seed 000's three example flows and seed 001's
// completion email run as the shipped templates, from the triggering event
// to the final state — memberships, enrollments, and email received by a
// real SMTP server.
func TestSeedFlowsRunAsTemplates(t *testing.T) {
	smtp := mailtest.Start(t)
	apptest.EachDialect(t, func(t *testing.T, s *apptest.Server) {
		tenant := s.Tenant(t)
		learners := createID(t, tenant, "/groups", map[string]any{"name": "Learners"})
		tenant.Call(t, http.MethodPost, "/api/v1/users", map[string]any{"id": "ann", "name": "Ann Lee", "email": "ann@example.com",
			"customAttributes": map[string]any{"department": "Sales"}}).Expect(t, http.StatusCreated)
		tenant.Call(t, http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "ann", "groupId": learners}).Expect(t, http.StatusOK)
		sales := createID(t, tenant, "/groups", map[string]any{"name": "Sales"})
		tenant.Call(t, http.MethodPost, "/api/v1/groups/users", map[string]any{"userId": "ann", "groupId": sales}).Expect(t, http.StatusOK)

		installTemplate(t, tenant, "course-assignment", func(steps []map[string]any) {
			for _, st := range steps {
				in := st["input"].(map[string]any)
				switch st["id"] {
				case "members":
					in["id"] = learners
				case "assign":
					in["groups"] = []any{learners}
				}
			}
		})
		installTemplate(t, tenant, "department-change", nil)
		completion := installTemplate(t, tenant, "course-completed-email", nil)

		t.Run("new course published", func(t *testing.T) {
			// A draft triggers nothing; leaving draft, creating published and
			// importing published each assign the course and email the group.
			draft := createID(t, tenant, "/courses", map[string]any{"name": "Draft course", "isDraft": true})
			published := createID(t, tenant, "/courses", map[string]any{"title": "Fire safety"})
			var imported struct {
				Results []struct {
					ID int64 `json:"id"`
				} `json:"results"`
			}
			tenant.Call(t, http.MethodPost, "/api/v1/courses/courses-exporter/public/import", map[string]any{"courses": []any{
				map[string]any{"courseId": "AS-1", "title": "Imported ethics", "category": "Legal"},
				map[string]any{"courseId": "AS-2", "title": "Imported draft", "isDraft": true},
			}}).Expect(t, http.StatusOK).JSON(t, &imported)
			for _, c := range []int64{published, imported.Results[0].ID} {
				eventually(t, fmt.Sprintf("course %d assigned to the group", c), func() bool { return enrolledIn(t, tenant, c) == 1 })
			}
			eventually(t, "notification email", func() bool {
				return mailTo(smtp, "ann@example.com", "New course: Fire safety") && mailTo(smtp, "ann@example.com", "New course: Imported ethics")
			})
			if enrolledIn(t, tenant, draft) != 0 || enrolledIn(t, tenant, imported.Results[1].ID) != 0 {
				t.Fatal("a draft was assigned")
			}
			tenant.Call(t, http.MethodPut, fmt.Sprintf("/api/v1/courses/%d", draft), map[string]any{"isDraft": false}).Expect(t, http.StatusOK)
			eventually(t, "the course out of draft assigned", func() bool { return enrolledIn(t, tenant, draft) == 1 })
		})

		t.Run("department change", func(t *testing.T) {
			// The HR system's Update User, Zapier-style: id and email in the body.
			tenant.Call(t, http.MethodPut, "/api/v1/users", map[string]any{"id": "ann", "email": "ann@example.com",
				"customAttributes": map[string]any{"department": "Support"}}).Expect(t, http.StatusOK)
			var support int64
			eventually(t, "ann moved from Sales to Support", func() bool {
				if slices.Contains(memberIDs(t, tenant, sales), "ann") {
					return false
				}
				var page struct {
					Groups []struct {
						ID   int64  `json:"id"`
						Name string `json:"name"`
					} `json:"groups"`
				}
				tenant.Call(t, http.MethodGet, "/api/v1/users/ann/groups", nil).Expect(t, http.StatusOK).JSON(t, &page)
				for _, g := range page.Groups {
					if g.Name == "Support" {
						support = g.ID
					}
				}
				return support != 0
			})
			if !slices.Contains(memberIDs(t, tenant, learners), "ann") {
				t.Fatal("a group unrelated to the department was left")
			}
			// An update that leaves the department alone does not run it.
			tenant.Call(t, http.MethodPut, "/api/v1/users/ann", map[string]any{"name": "Ann B. Lee"}).Expect(t, http.StatusOK)
			time.Sleep(300 * time.Millisecond)
			if !slices.Contains(memberIDs(t, tenant, support), "ann") {
				t.Fatal("an unrelated update moved the user")
			}
		})

		t.Run("course completion email", func(t *testing.T) {
			c := createID(t, tenant, "/courses", map[string]any{"name": "First aid"})
			tenant.Call(t, http.MethodPost, "/api/v1/courses/assign", map[string]any{"courseId": c, "users": []string{"ann"}}).Expect(t, http.StatusOK)
			tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/courses/%d/enrollments/ann/complete", c), nil).Expect(t, http.StatusOK)
			eventually(t, "completion email", func() bool { return mailTo(smtp, "ann@example.com", "You completed First aid") })
		})

		t.Run("dry run uses a sample event", func(t *testing.T) {
			var res struct {
				Trigger map[string]any `json:"trigger"`
				Steps   []struct {
					Input map[string]any `json:"input"`
					Error string         `json:"error"`
				} `json:"steps"`
			}
			tenant.Call(t, http.MethodPost, fmt.Sprintf("/api/v1/workflows/%d/test", completion.ID), map[string]any{}).
				Expect(t, http.StatusOK).JSON(t, &res)
			if res.Trigger["type"] != "enrollment.completed" || len(res.Steps) != 1 || res.Steps[0].Error != "" ||
				res.Steps[0].Input["to"] != "jane@example.com" {
				t.Fatalf("dry run on a sample event: %+v", res)
			}
		})
	}, apptest.WithSMTP(smtp.URL()))
}
