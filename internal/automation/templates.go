package automation

// Template is a ready-made workflow.
type Template struct {
	Key         string     `json:"key"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Definition  Definition `json:"definition"`
}

// userIDExpr is the id of the user a template found or created.
const userIDExpr = "{{ len(steps.find_user.users) > 0 ? steps.find_user.users[0].id : steps.create_user?.id }}"

// oldDepartment and newDepartment read a user.updated event: the department
// before the update (from previous) and after it, trimmed, ” when unset.
const (
	oldDepartment = "trim(default(trigger.data.previous.customAttributes?.department, ''))"
	newDepartment = "trim(default(trigger.data.customAttributes?.department, ''))"
)

// Templates returns the shipped templates. Values to adapt are marked in
// their descriptions.
func Templates() []Template {
	retry := &Retry{Attempts: 5, BackoffSeconds: 2}
	return []Template{
		{
			Key:  "employee-onboarding",
			Name: "New employee onboarding",
			Description: "An HR system posts the new employee as JSON ({email, name, department, timezone}) to the workflow's inbound webhook. " +
				"Roster finds or creates the user, adds them to the department's group (created if missing), assigns the onboarding " +
				"courses (set courseIds) and sends a welcome email.",
			Definition: Definition{
				Trigger:    Trigger{Type: TriggerWebhook},
				Conditions: []string{"trigger.body?.email != nil"},
				Steps: []Step{
					{ID: "find_user", Op: "users.list", Input: map[string]any{"email": "{{ lower(trim(trigger.body.email)) }}", "limit": 1}},
					{ID: "create_user", Op: "users.create", If: "len(steps.find_user.users) == 0", Retry: retry, Input: map[string]any{
						"name":             "{{ trim(trigger.body.name) }}",
						"email":            "{{ lower(trim(trigger.body.email)) }}",
						"timezone":         "{{ default(trigger.body.timezone, 'UTC') }}",
						"customAttributes": map[string]any{"department": "{{ trigger.body.department }}"},
					}},
					{ID: "department", Op: "groups.ensure", Retry: retry, Input: map[string]any{"name": "{{ trim(trigger.body.department) }}"}},
					{ID: "join_department", Op: "groups.add_users", Retry: retry, Input: map[string]any{
						"id": "{{ steps.department.id }}", "users": []any{userIDExpr}}},
					{ID: "assign_courses", Op: "users.assign_courses", Retry: retry, Input: map[string]any{
						"id": userIDExpr, "courses": []any{1}, "deadlineAt": "{{ addDays(now(), 30) }}"}},
					{ID: "welcome", Op: OpEmail, Retry: &Retry{Attempts: 8, BackoffSeconds: 30}, OnError: OnErrorContinue, Input: map[string]any{
						"to":      "{{ lower(trim(trigger.body.email)) }}",
						"subject": "Welcome to the team, {{ split(trim(trigger.body.name), ' ')[0] }}!",
						"text":    "Hello {{ trigger.body.name }},\n\nwelcome aboard. Your onboarding courses are waiting for you.\n",
					}},
				},
			},
		},
		{
			Key:  "course-assignment",
			Name: "Course assignment automation",
			Description: "Seed flow \"New course published → get users from group → assign course to users → send notification " +
				"email\". Runs on course.published: a course created or imported published, or taken out of draft (never on " +
				"drafts). Assigns it to a group (set the group id in assign.groups and members.id) and emails each member.",
			Definition: Definition{
				Trigger: Trigger{Type: TriggerEvent, Event: "course.published"},
				Steps: []Step{
					{ID: "members", Op: "groups.list_users", Input: map[string]any{"id": 1, "limit": 100}},
					{ID: "assign", Op: "courses.assign", Retry: retry, Input: map[string]any{
						"id": "{{ trigger.data.id }}", "groups": []any{1}}},
					{ID: "notify", Op: OpEmail, OnError: OnErrorContinue, If: "len(steps.members.users) > 0", Input: map[string]any{
						"to":         "{{ map(steps.members.users, .email) }}",
						"separately": true,
						"subject":    "New course: {{ trigger.data.name }}",
						"text":       "A new course, {{ trigger.data.name }}, has been assigned to you.\n",
					}},
				},
			},
		},
		{
			Key:  "department-change",
			Name: "Department change",
			Description: "Seed flow \"Department change in HR system → Update User → remove from old group → add to new group\". " +
				"The HR system updates the user's customAttributes.department (PUT /users with id and email, as Zapier's Update " +
				"User does); on the user.updated event, Roster removes the user from the group named after the old department " +
				"(the event's previous values) and adds them to the new department's group (created if missing). No inbound " +
				"webhook is needed.",
			Definition: Definition{
				Trigger: Trigger{Type: TriggerEvent, Event: "user.updated", Filter: "'customAttributes' in trigger.data.changed && " +
					"trigger.data.previous.customAttributes?.department != trigger.data.customAttributes?.department"},
				Steps: []Step{
					{ID: "old_group", Op: "groups.ensure", If: oldDepartment + " != ''", Input: map[string]any{
						"name": "{{ " + oldDepartment + " }}"}},
					{ID: "leave_old", Op: "groups.remove_user", Retry: retry, If: oldDepartment + " != ''", Input: map[string]any{
						"id": "{{ steps.old_group.id }}", "userId": "{{ trigger.data.id }}"}},
					{ID: "new_group", Op: "groups.ensure", Retry: retry, If: newDepartment + " != ''", Input: map[string]any{
						"name": "{{ " + newDepartment + " }}"}},
					{ID: "join_new", Op: "groups.add_users", Retry: retry, If: newDepartment + " != ''", Input: map[string]any{
						"id": "{{ steps.new_group.id }}", "users": []any{"{{ trigger.data.id }}"}}},
				},
			},
		},
		{
			Key:  "course-completed-email",
			Name: "Email on course completion",
			Description: "Seed 001's \"trigger email sequences when a course is completed\": on enrollment.completed, email the " +
				"learner (set the text; add an http.request step to notify another system).",
			Definition: Definition{
				Trigger: Trigger{Type: TriggerEvent, Event: "enrollment.completed"},
				Steps: []Step{
					{ID: "congratulate", Op: OpEmail, Retry: &Retry{Attempts: 8, BackoffSeconds: 30}, Input: map[string]any{
						"to":      "{{ trigger.data.user.email }}",
						"subject": "You completed {{ trigger.data.course.name }}",
						"text":    "Well done, {{ trigger.data.user.name }}: you completed {{ trigger.data.course.name }}.\n",
					}},
				},
			},
		},
	}
}
