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
			Description: "When a course is created or imported, assign it to a group's users (set the group id in assign.groups " +
				"and members.id) and email each of them.",
			Definition: Definition{
				Trigger: Trigger{Type: TriggerEvent, Event: "course.created"},
				Steps: []Step{
					{ID: "assign", Op: "courses.assign", Retry: retry, Input: map[string]any{
						"id": "{{ trigger.data.id }}", "groups": []any{1}}},
					{ID: "members", Op: "groups.list_users", Input: map[string]any{"id": 1, "limit": 100}},
					{ID: "notify", Op: OpEmail, OnError: OnErrorContinue, Input: map[string]any{
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
			Description: "An HR system posts {email, oldDepartment, newDepartment} to the inbound webhook: Roster updates the user's " +
				"department, removes them from the old department's group and adds them to the new one's.",
			Definition: Definition{
				Trigger: Trigger{Type: TriggerWebhook},
				Steps: []Step{
					{ID: "find_user", Op: "users.list", Input: map[string]any{"email": "{{ lower(trim(trigger.body.email)) }}", "limit": 1}},
					{ID: "known", Op: OpFilter, Input: map[string]any{"condition": "len(steps.find_user.users) == 1"}},
					{ID: "update_user", Op: "users.update", Retry: retry, Input: map[string]any{
						"id": "{{ steps.find_user.users[0].id }}", "customAttributes": map[string]any{"department": "{{ trigger.body.newDepartment }}"}}},
					{ID: "old_group", Op: "groups.ensure", Input: map[string]any{"name": "{{ trim(trigger.body.oldDepartment) }}"}},
					{ID: "leave_old", Op: "groups.remove_user", Retry: retry, OnError: OnErrorContinue, Input: map[string]any{
						"id": "{{ steps.old_group.id }}", "userId": "{{ steps.find_user.users[0].id }}"}},
					{ID: "new_group", Op: "groups.ensure", Retry: retry, Input: map[string]any{"name": "{{ trim(trigger.body.newDepartment) }}"}},
					{ID: "join_new", Op: "groups.add_users", Retry: retry, Input: map[string]any{
						"id": "{{ steps.new_group.id }}", "users": []any{"{{ steps.find_user.users[0].id }}"}}},
				},
			},
		},
	}
}
