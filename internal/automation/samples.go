package automation

import (
	"maps"
	"strings"

	"github.com/rosterhq/roster/internal/events"
)

// Sample payloads for dry runs: what an event of each type carries, so that
// POST /workflows/{id}/test of an event-triggered workflow shows real step
// inputs without the caller composing an event by hand. They follow the
// shapes the services record (users, groups, courses, enrollments, …).
func sampleUser() map[string]any {
	attrs := map[string]any{"department": "Sales", "employee_id": "EMP123"}
	return map[string]any{"id": "user_123", "name": "Jane Smith", "displayName": "", "email": "jane@example.com",
		"role": map[string]any{"alias": "learner"}, "roleAlias": "learner", "language": "en", "timezone": "Europe/London",
		"occupation": "", "location": "", "status": "active", "isBanned": false, "fromApi": true, "hasPassword": false,
		"image": nil, "customAttributes": attrs, "attributes": maps.Clone(attrs), "createdAt": 1767225600, "updatedAt": 1767225600}
}

func sampleShortUser() map[string]any {
	return map[string]any{"id": "user_123", "name": "Jane Smith", "email": "jane@example.com", "role": map[string]any{"alias": "learner"}}
}

func sampleGroup() map[string]any {
	return map[string]any{"id": 12, "parentId": nil, "name": "Sales", "description": "", "usersCount": 8, "coursesCount": 2,
		"image": nil, "customAttributes": map[string]any{}, "attributes": map[string]any{}, "createdAt": 1767225600, "updatedAt": 1767225600}
}

func sampleCourse() map[string]any {
	return map[string]any{"id": 123, "externalId": "AS-77", "name": "Onboarding", "title": "Onboarding", "annotation": "",
		"description": "", "category": "HR", "language": "en", "url": "", "durationMinutes": 30, "isDraft": false,
		"status": "active", "isArchived": false, "image": nil, "createdAt": 1767225600, "updatedAt": 1767225600,
		"publishedAt": 1767225600, "archivedAt": 0}
}

func sampleEnrollment(status string) map[string]any {
	completed := 0
	progress := 40
	if status == "completed" {
		completed, progress = 1767312000, 100
	}
	return map[string]any{"status": status, "source": map[string]any{"direct": true, "groups": []any{}},
		"assignedAt": 1767225600, "deadlineAt": 0, "startedAt": 1767229200, "completedAt": completed, "finishedAt": completed,
		"progress": progress, "progressValue": progress, "resultValue": 0, "isCourseStarted": true,
		"isCourseFinished": status == "completed", "isExpired": status == "overdue", "course": sampleCourse(), "user": sampleShortUser()}
}

// sampleData returns sample data for event type typ; nil when the resource
// is unknown.
func sampleData(typ string) map[string]any {
	resource, action, _ := strings.Cut(typ, ".")
	var data map[string]any
	switch resource {
	case "user":
		data = sampleUser()
		if action == "deactivated" {
			data["status"], data["isBanned"] = "deactivated", true
		}
	case "group":
		data = sampleGroup()
		if action == "member_added" || action == "member_removed" {
			data = map[string]any{"group": map[string]any{"id": 12, "name": "Sales", "description": ""},
				"user": sampleShortUser(), "courses": []any{123}}
		}
	case "course":
		data = sampleCourse()
		switch action {
		case "imported":
			data = map[string]any{"created": 1, "updated": 0, "unchanged": 0, "failed": 0, "createdIds": []any{123}, "updatedIds": []any{}}
		case "assigned", "unassigned":
			data = map[string]any{"course": map[string]any{"id": 123, "externalId": "AS-77", "name": "Onboarding"},
				"users": []any{sampleShortUser()}, "groups": []any{map[string]any{"id": 12, "name": "Sales", "includeSubgroups": false}},
				"assignedAt": 1767225600, "deadlineAt": 0, "enrollmentsCreated": 1}
		case "archived":
			data["status"], data["isArchived"], data["archivedAt"] = "archived", true, 1767312000
		}
	case "enrollment":
		status := map[string]string{"completed": "completed", "overdue": "overdue", "created": "assigned"}[action]
		if status == "" {
			status = "in_progress"
		}
		data = sampleEnrollment(status)
	case "workflow":
		data = map[string]any{"id": 7, "workflowId": 7, "name": "Onboarding", "status": "active", "version": 2, "publishedVersion": 2,
			"trigger": map[string]any{"type": "event", "event": "user.created"}, "createdAt": 1767225600, "updatedAt": 1767225600}
	case "webhook_endpoint":
		data = map[string]any{"id": "whe_sample", "url": "https://example.com/hooks/roster", "description": "", "eventTypes": []any{"user.*"},
			"status": "active", "createdAt": 1767225600, "updatedAt": 1767225600}
	case "attribute":
		data = map[string]any{"entity": "user", "attributes": []any{map[string]any{"id": 1, "key": "department", "name": "Department", "type": "text"}}}
	default:
		return nil
	}
	if action == "updated" {
		// An update carries what it changed: here the user's department,
		// the course's name, and so on.
		before := maps.Clone(data)
		switch resource {
		case "user":
			before["customAttributes"] = map[string]any{"department": "Support", "employee_id": "EMP123"}
			before["attributes"] = before["customAttributes"]
		case "attribute":
			before["attributes"] = []any{}
		case "webhook_endpoint":
			before["url"] = "https://example.com/hooks/old"
		default:
			before["name"] = "Old name"
		}
		if changed, err := events.WithChanges(before, data); err == nil {
			data = changed
		}
	}
	return data
}

// SampleTrigger is the trigger data a dry run of an event-triggered workflow
// uses when the caller gives none: an event of type typ as a run would see it.
func SampleTrigger(typ string) map[string]any {
	data := sampleData(typ)
	if data == nil {
		data = map[string]any{}
	}
	return map[string]any{"id": "evt_sample", "type": typ, "timestamp": "2026-01-01T00:00:00Z", "data": data}
}
