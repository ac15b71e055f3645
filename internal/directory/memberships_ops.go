package directory

import (
	"context"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// AddUsersInput is the input of groups.add_users.
type AddUsersInput struct {
	GroupIDParam
	Body AddUsersBody
}

// AddUsersBody names the users to add: users, userId or both. groupId is
// Zapier's Add User to Group field; with a path id it must agree with it.
type AddUsersBody struct {
	Users   []string `json:"users,omitempty" maxItems:"1000" doc:"User ids to add (up to 1,000)"`
	UserID  string   `json:"userId,omitempty" maxLength:"64" doc:"One user id to add (Zapier's Add User to Group)"`
	GroupID op.ID    `json:"groupId,omitempty" doc:"The group (2 or \"2\"); on /groups/{id}/users it must be the path's id"`
}

// AddUserByBodyInput is the input of groups.add_user: Zapier's Add User to
// Group, both ids in the body.
type AddUserByBodyInput struct {
	Body AddUsersBody
}

// userIDs lists the users the body names, userId first.
func (b AddUsersBody) userIDs() ([]string, error) {
	ids := b.Users
	if b.UserID != "" {
		ids = append([]string{b.UserID}, ids...)
	}
	if len(ids) == 0 {
		var f fault.Fields
		f.Add("userId", "give userId (one user id) or users (a list of user ids)")
		f.Add("users", "give users (a list of user ids) or userId (one user id)")
		return nil, f.Err()
	}
	return ids, nil
}

// MembersAddedOutput carries the outcome of groups.add_users.
type MembersAddedOutput struct {
	Body MembersAdded
}

// RemoveUserInput is the input of groups.remove_user.
type RemoveUserInput struct {
	GroupIDParam
	UserID string `path:"userId" maxLength:"64" doc:"User id"`
}

// ListMembersInput is the input of groups.list_users.
type ListMembersInput struct {
	GroupIDParam
	Offset    int  `query:"offset" minimum:"0" default:"0" doc:"Number of members to skip"`
	Limit     int  `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
	Subgroups bool `query:"subgroups" doc:"Also list members of subgroups (each user once)"`
}

// UserGroupsInput is the input of users.list_groups.
type UserGroupsInput struct {
	UserIDParam
	Offset int `query:"offset" minimum:"0" default:"0" doc:"Number of groups to skip"`
	Limit  int `query:"limit" minimum:"1" maximum:"100" default:"20" doc:"Page size"`
}

// AddToGroupsInput is the input of users.add_to_groups.
type AddToGroupsInput struct {
	UserIDParam
	Body struct {
		Groups  []op.ID `json:"groups,omitempty" maxItems:"100" doc:"Group ids (2 or \"2\")"`
		GroupID op.ID   `json:"groupId,omitempty" doc:"One group id (Zapier's Add User to Group); added to groups"`
	}
}

// GroupsOutput carries the groups a user was added to (Konstantly's shape).
type GroupsOutput struct {
	Body struct {
		Groups []Group `json:"groups"`
	}
}

func (s *Service) membershipOps() []op.Any {
	const tag = "Groups"
	return []op.Any{
		&op.Op[AddUsersInput, MembersAddedOutput]{
			ID: "groups.add_users", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPost, Path: "/groups/{id}/users",
			Summary: "Add users to a group",
			Description: "Give `users` (one or many ids) or `userId`. Users already in the group are no error. New members are " +
				"enrolled in the courses assigned to the group. Unknown users are refused by index (`users[2]`); nothing is added then.",
			Run: func(ctx context.Context, p access.Principal, in *AddUsersInput) (*MembersAddedOutput, error) {
				if g := in.Body.GroupID.Int64(); g != 0 && g != in.ID {
					return nil, fault.Invalid("groupId", "names group %d but the path names group %d", g, in.ID)
				}
				ids, err := in.Body.userIDs()
				if err != nil {
					return nil, err
				}
				out, err := s.AddUsers(ctx, p.WorkspaceID, in.ID, ids)
				return &MembersAddedOutput{Body: out}, err
			},
		},
		&op.Op[AddUserByBodyInput, MembersAddedOutput]{
			ID: "groups.add_user", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPost, Path: "/groups/users",
			Summary: "Add a user to a group (Zapier)", Compat: true,
			Description: "Zapier's Add User to Group: `{userId, groupId}`, both in the body (ids as numbers or text). " +
				"Otherwise the same as `POST /groups/{id}/users`.",
			Run: func(ctx context.Context, p access.Principal, in *AddUserByBodyInput) (*MembersAddedOutput, error) {
				if in.Body.GroupID == 0 {
					return nil, fault.Invalid("groupId", "is required: the id of the group")
				}
				ids, err := in.Body.userIDs()
				if err != nil {
					return nil, err
				}
				out, err := s.AddUsers(ctx, p.WorkspaceID, in.Body.GroupID.Int64(), ids)
				return &MembersAddedOutput{Body: out}, err
			},
		},
		&op.Op[RemoveUserInput, NoContent]{
			ID: "groups.remove_user", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodDelete, Path: "/groups/{id}/users/{userId}",
			Status: http.StatusNoContent, Summary: "Remove a user from a group",
			Description: "Enrollments that only this group gave the user, and that have no progress, are removed too. " +
				"Removing a user who is not a member answers the same (idempotent, like adding); an unknown group or user is 404.",
			Run: func(ctx context.Context, p access.Principal, in *RemoveUserInput) (*NoContent, error) {
				return &NoContent{}, s.RemoveUser(ctx, p.WorkspaceID, in.ID, in.UserID)
			},
		},
		&op.Op[ListMembersInput, UserPageOutput]{
			ID: "groups.list_users", Tag: tag, Scope: access.GroupsRead, Method: http.MethodGet, Path: "/groups/{id}/users",
			Summary:     "List a group's members",
			Description: "Members in the order they were created as users, `limit` at a time from `offset`, with the total count.",
			Run: func(ctx context.Context, p access.Principal, in *ListMembersInput) (*UserPageOutput, error) {
				page, err := s.ListMembers(ctx, p.WorkspaceID, in.ID, MemberFilter{Subgroups: in.Subgroups, Offset: in.Offset, Limit: in.Limit})
				return &UserPageOutput{Body: page}, err
			},
		},
		&op.Op[UserGroupsInput, GroupPageOutput]{
			ID: "users.list_groups", Tag: tag, Scope: access.GroupsRead, Method: http.MethodGet, Path: "/users/{id}/groups",
			Summary: "List a user's groups", Description: "Groups the user is a direct member of, sorted by name.",
			Run: func(ctx context.Context, p access.Principal, in *UserGroupsInput) (*GroupPageOutput, error) {
				page, err := s.ListUserGroups(ctx, p.WorkspaceID, in.ID, in.Offset, in.Limit)
				return &GroupPageOutput{Body: page}, err
			},
		},
		&op.Op[AddToGroupsInput, GroupsOutput]{
			ID: "users.add_to_groups", Tag: tag, Scope: access.GroupsWrite, Method: http.MethodPost, Path: "/users/{id}/groups",
			Summary: "Add a user to groups",
			Description: "Konstantly's shape: `groups` is a list of group ids (or `groupId`, one id, as Zapier sends it); the " +
				"answer lists those groups. Groups the user is in already are no error.",
			Run: func(ctx context.Context, p access.Principal, in *AddToGroupsInput) (*GroupsOutput, error) {
				ids := op.IDs(in.Body.Groups)
				if in.Body.GroupID != 0 {
					ids = append([]int64{in.Body.GroupID.Int64()}, ids...)
				}
				if len(ids) == 0 {
					return nil, fault.Invalid("groups", "give groups (a list of group ids) or groupId")
				}
				groups, err := s.AddUserToGroups(ctx, p.WorkspaceID, in.ID, ids)
				out := &GroupsOutput{}
				out.Body.Groups = groups
				return out, err
			},
		},
	}
}
