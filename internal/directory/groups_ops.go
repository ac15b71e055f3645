package directory

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/op"
)

// GroupIDParam addresses one group.
type GroupIDParam struct {
	ID int64 `path:"id" minimum:"1" doc:"Group id"`
}

// CreateGroupInput is the input of groups.create.
type CreateGroupInput struct {
	Body GroupCreate
}

// UpdateGroupInput is the input of groups.update.
type UpdateGroupInput struct {
	GroupIDParam
	Body GroupUpdate
}

// EnsureGroupInput is the input of groups.ensure.
type EnsureGroupInput struct {
	Body GroupEnsure
}

// ListGroupsInput is the input of groups.list.
type ListGroupsInput struct {
	Offset   int    `query:"offset" minimum:"0" default:"0" doc:"Number of groups to skip"`
	Limit    int    `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Query    string `query:"query" maxLength:"200" doc:"Matches part of the name, case-insensitive"`
	ParentID int64  `query:"parentId" minimum:"0" doc:"Only direct subgroups of this group"`
	TopLevel bool   `query:"topLevel" doc:"Only groups without a parent"`
}

// GroupOutput carries one group.
type GroupOutput struct {
	Body Group
}

// EnsureGroupOutput carries the group found or created.
type EnsureGroupOutput struct {
	Body struct {
		Group
		Created bool `json:"created" doc:"True when the group was created by this call"`
	}
}

// GroupPageOutput carries a page of groups.
type GroupPageOutput struct {
	Body GroupPage
}

// GroupOps are the group and membership operations.
type GroupOps []op.Any

// All lists the operations for the registry.
func (g GroupOps) All() []op.Any { return g }

// GroupOps defines the group and membership operations over s.
func (s *Service) GroupOps() GroupOps {
	const tag = "Groups"
	update := func(ctx context.Context, p access.Principal, in *UpdateGroupInput) (*GroupOutput, error) {
		g, err := s.UpdateGroup(ctx, p.WorkspaceID, in.ID, in.Body)
		return &GroupOutput{Body: g}, err
	}
	ops := GroupOps{
		&op.Op[CreateGroupInput, GroupOutput]{
			ID: "groups.create", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPost, Path: "/groups",
			Status: http.StatusCreated, Summary: "Create a group",
			Description: "A top-level group, or a subgroup of `parentId`. `customAttributes` are checked against the group attribute definitions.",
			Run: func(ctx context.Context, p access.Principal, in *CreateGroupInput) (*GroupOutput, error) {
				g, err := s.CreateGroup(ctx, p.WorkspaceID, in.Body)
				return &GroupOutput{Body: g}, err
			},
		},
		&op.Op[ListGroupsInput, GroupPageOutput]{
			ID: "groups.list", Tag: tag, Scope: access.GroupsRead, Method: http.MethodGet, Path: "/groups",
			Summary:     "List groups",
			Description: "Groups sorted by name, `limit` at a time from `offset`, with the total count.",
			Run: func(ctx context.Context, p access.Principal, in *ListGroupsInput) (*GroupPageOutput, error) {
				page, err := s.ListGroups(ctx, p.WorkspaceID, GroupFilter{Query: in.Query, ParentID: in.ParentID,
					TopLevel: in.TopLevel, Offset: in.Offset, Limit: in.Limit})
				return &GroupPageOutput{Body: page}, err
			},
		},
		&op.Op[GroupIDParam, GroupOutput]{
			ID: "groups.get", Tag: tag, Scope: access.GroupsRead, Method: http.MethodGet, Path: "/groups/{id}",
			Summary: "Get a group",
			Run: func(ctx context.Context, p access.Principal, in *GroupIDParam) (*GroupOutput, error) {
				g, err := s.GetGroup(ctx, p.WorkspaceID, in.ID)
				return &GroupOutput{Body: g}, err
			},
		},
		&op.Op[UpdateGroupInput, GroupOutput]{
			ID: "groups.update", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPut, Path: "/groups/{id}",
			Summary: "Update a group",
			Description: "Partial update: fields left out keep their values. `parentId: null` moves the group to the top; a parent " +
				"inside the group itself is refused. Moving a group re-applies course assignments to its members.",
			Run: update,
		},
		&op.Op[UpdateGroupInput, GroupOutput]{
			ID: "groups.patch", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPatch, Path: "/groups/{id}",
			Summary: "Update a group (PATCH)", Description: "The same as `PUT /groups/{id}` (Konstantly's method).", Compat: true, Run: update,
		},
		&op.Op[GroupIDParam, NoContent]{
			ID: "groups.delete", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodDelete, Path: "/groups/{id}",
			Status: http.StatusNoContent, Summary: "Delete a group",
			Description: "Subgroups move up to the group's parent. Memberships and course assignments of the group go, and so do " +
				"enrollments only it gave that have no progress.",
			Run: func(ctx context.Context, p access.Principal, in *GroupIDParam) (*NoContent, error) {
				return &NoContent{}, s.DeleteGroup(ctx, p.WorkspaceID, in.ID)
			},
		},
		&op.Op[EnsureGroupInput, EnsureGroupOutput]{
			ID: "groups.ensure", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPost, Path: "/groups/ensure",
			Summary: "Find or create a group by name",
			Description: "Returns the oldest group with the name (case-insensitive; under `parentId` when given), creating it " +
				"when there is none. For workflows that map an HR department to a group.",
			Run: func(ctx context.Context, p access.Principal, in *EnsureGroupInput) (*EnsureGroupOutput, error) {
				g, created, err := s.EnsureGroup(ctx, p.WorkspaceID, in.Body)
				out := &EnsureGroupOutput{}
				out.Body.Group, out.Body.Created = g, created
				return out, err
			},
		},
	}
	return append(ops, s.membershipOps()...)
}
