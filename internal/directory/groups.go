package directory

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// Event types the directory records for groups. Group events carry the full
// group; member events carry the group, the user and the courses the change
// enrolled the user in or removed.
const (
	EventGroupCreated       = "group.created"
	EventGroupUpdated       = "group.updated"
	EventGroupDeleted       = "group.deleted"
	EventGroupMemberAdded   = "group.member_added"
	EventGroupMemberRemoved = "group.member_removed"
)

const maxDescriptionLen = 5000

// Group is a set of users, possibly inside a parent group (Konstantly's
// shape).
type Group struct {
	ID               int64          `json:"id" example:"12"`
	ParentID         *int64         `json:"parentId" doc:"Parent group; null at the top of the tree"`
	Name             string         `json:"name" example:"Sales"`
	Description      string         `json:"description"`
	UsersCount       int            `json:"usersCount" doc:"Direct members"`
	CoursesCount     int            `json:"coursesCount" doc:"Courses assigned to the group"`
	Image            *Image         `json:"image" doc:"Cover image; always null for now"`
	CustomAttributes map[string]any `json:"customAttributes"`
	Attributes       map[string]any `json:"attributes" doc:"Same as customAttributes (Konstantly's name)"`
	CreatedAt        int64          `json:"createdAt" doc:"Unix seconds"`
	UpdatedAt        int64          `json:"updatedAt" doc:"Unix seconds"`
}

// GroupRef is the short form of a group that member events carry.
type GroupRef struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// groupRow is a groups row, with its counts when read for display.
type groupRow struct {
	pk           int64
	workspaceID  int64
	parentID     *int64
	name         string
	description  string
	attributes   map[string]any
	createdAt    time.Time
	updatedAt    time.Time
	usersCount   int
	coursesCount int
}

func (r *groupRow) view() Group {
	attrs := r.attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	return Group{ID: r.pk, ParentID: r.parentID, Name: r.name, Description: r.description,
		UsersCount: r.usersCount, CoursesCount: r.coursesCount, CustomAttributes: attrs, Attributes: attrs,
		CreatedAt: r.createdAt.Unix(), UpdatedAt: r.updatedAt.Unix()}
}

func (r *groupRow) ref() GroupRef {
	return GroupRef{ID: r.pk, Name: r.name, Description: r.description}
}

// GroupCreate is the input of groups.create.
type GroupCreate struct {
	Name             string         `json:"name" minLength:"1" maxLength:"200" example:"Sales"`
	ParentID         op.NullID      `json:"parentId,omitempty" doc:"Parent group id (2 or \"2\"); null or absent for a top-level group"`
	Description      string         `json:"description,omitempty" maxLength:"5000"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty" doc:"Custom attribute values by key"`
	Attributes       map[string]any `json:"attributes,omitempty" doc:"Konstantly's name for customAttributes; merged into it"`
}

// GroupUpdate is the input of groups.update: absent fields stay as they are.
type GroupUpdate struct {
	Name             *string        `json:"name,omitempty" minLength:"1" maxLength:"200"`
	ParentID         OptionalParent `json:"parentId,omitempty"`
	Description      *string        `json:"description,omitempty" maxLength:"5000"`
	CustomAttributes map[string]any `json:"customAttributes,omitempty" doc:"Merged into the existing values; null removes a key"`
	Attributes       map[string]any `json:"attributes,omitempty" doc:"Konstantly's name for customAttributes"`
}

// OptionalParent is parentId in an update: absent keeps the parent, null
// moves the group to the top, a number moves it under that group.
type OptionalParent struct {
	Set bool
	ID  *int64
}

// UnmarshalJSON records that the field was present.
func (o *OptionalParent) UnmarshalJSON(b []byte) error {
	o.Set, o.ID = true, nil
	if string(b) == "null" {
		return nil
	}
	id, err := op.ParseID(b)
	if err != nil {
		return err
	}
	v := id.Int64()
	o.ID = &v
	return nil
}

// MarshalJSON writes the id or null.
func (o OptionalParent) MarshalJSON() ([]byte, error) { return json.Marshal(o.ID) }

// Schema documents the field as a nullable integer.
func (OptionalParent) Schema(r huma.Registry) *huma.Schema {
	s := op.NullID{}.Schema(r)
	s.Description = "New parent group id (2 or \"2\"); null moves the group to the top; absent keeps it"
	return s
}

// newGroupRow validates in.
func newGroupRow(workspaceID int64, in GroupCreate, now time.Time) (groupRow, error) {
	var f fault.Fields
	r := groupRow{workspaceID: workspaceID, createdAt: now, updatedAt: now}
	r.name = checkText(&f, "name", in.Name, 1, maxNameLen)
	r.description = checkText(&f, "description", in.Description, 0, maxDescriptionLen)
	r.parentID = in.ParentID.Ptr()
	r.attributes = mergeAttributes(nil, in.Attributes, in.CustomAttributes)
	checkAttributes(&f, "customAttributes", r.attributes)
	return r, f.Err()
}

// applyGroupUpdate changes r's plain fields; the parent is moved by the
// caller, which checks the tree.
func applyGroupUpdate(r *groupRow, in GroupUpdate) error {
	var f fault.Fields
	if in.Name != nil {
		r.name = checkText(&f, "name", *in.Name, 1, maxNameLen)
	}
	if in.Description != nil {
		r.description = checkText(&f, "description", *in.Description, 0, maxDescriptionLen)
	}
	if in.ParentID.Set && in.ParentID.ID != nil && *in.ParentID.ID <= 0 {
		f.Add("parentId", "must be a group id or null")
	}
	if in.Attributes != nil || in.CustomAttributes != nil {
		r.attributes = mergeAttributes(r.attributes, in.Attributes, in.CustomAttributes)
		checkAttributes(&f, "customAttributes", r.attributes)
	}
	return f.Err()
}

func sameParent(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func normalizeGroupName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
