package directory

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/fault"
)

// Enrollments keeps course enrollments in step with groups: a course
// assigned to a group enrolls its present and future members. The learning
// package implements it; every method runs inside the caller's transaction,
// so a membership change and its enrollments commit together.
type Enrollments interface {
	// Joined enrolls users (integer keys) who just joined group in the
	// courses its rules (and its ancestors' subgroup rules) grant, and
	// returns the course ids each user was newly enrolled in.
	Joined(ctx context.Context, tx *sql.Tx, workspaceID, groupID int64, users []int64) (map[int64][]int64, error)
	// Left removes the users' enrollments that no group grants any more,
	// are not direct and have no progress, and returns their course ids.
	Left(ctx context.Context, tx *sql.Tx, workspaceID int64, users []int64) (map[int64][]int64, error)
	// CoursesReaching lists the courses whose rules reach the members of
	// group: rules on it and subgroup rules on its ancestors.
	CoursesReaching(ctx context.Context, tx *sql.Tx, groupID int64) ([]int64, error)
	// Reconcile makes the courses' enrollments match their rules after the
	// tree changed: removing what no rule grants (unless direct or started)
	// and, with grant, adding what the rules grant.
	Reconcile(ctx context.Context, tx *sql.Tx, workspaceID int64, courseIDs []int64, grant bool) error
}

// SetEnrollments connects the course rules. Call it once at start-up.
func (s *Service) SetEnrollments(e Enrollments) { s.enroll = e }

// membershipLockBase offsets workspace ids into their own advisory-lock
// space (the migration lock uses 7_305_511_042).
const membershipLockBase = 8_300_000_000_000

// LockMemberships serialises, within one workspace on PostgreSQL, every
// change to memberships, the group tree and course rules, so that a rule
// and a membership written at the same moment never miss each other (a new
// member would otherwise not see a rule committed concurrently). SQLite has
// a single writer already.
func LockMemberships(ctx context.Context, d *db.DB, tx *sql.Tx, workspaceID int64) error {
	if d.Dialect != db.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, membershipLockBase+workspaceID); err != nil {
		return fmt.Errorf("lock memberships: %w", err)
	}
	return nil
}

// MaxMembersPerCall bounds how many users one call adds to a group.
const MaxMembersPerCall = 1000

// MemberEvent is the data of group.member_added and group.member_removed.
type MemberEvent struct {
	Group GroupRef  `json:"group"`
	User  ShortUser `json:"user"`
	// Courses the change enrolled the user in (added) or whose enrollment it
	// removed (removed): enrollments a group grants are reported here rather
	// than as one enrollment.created event each.
	Courses []int64 `json:"courses"`
}

// MembersAdded is the outcome of adding users to a group.
type MembersAdded struct {
	Users      []ShortUser `json:"users" doc:"The users given, now all members"`
	AddedCount int         `json:"addedCount" doc:"How many were not members before; adding a member again changes nothing"`
}

// AddUsers makes users members of a group. Users already in it are left as
// they are. New members are enrolled in the group's courses. Returns
// not_found for the group and invalid naming users[i] for unknown users;
// nothing is written unless every user exists.
func (s *Service) AddUsers(ctx context.Context, workspaceID, groupID int64, userIDs []string) (MembersAdded, error) {
	if len(userIDs) == 0 || len(userIDs) > MaxMembersPerCall {
		return MembersAdded{}, fault.Invalid("users", "must hold 1 to %d user ids", MaxMembersPerCall)
	}
	var out MembersAdded
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		g, err := lockGroup(ctx, s.db, tx, workspaceID, groupID)
		if err != nil {
			return err
		}
		users, err := ResolveUsers(ctx, tx, workspaceID, "users", userIDs)
		if err != nil {
			return err
		}
		added, err := s.join(ctx, tx, &g, users)
		out = MembersAdded{Users: make([]ShortUser, len(users)), AddedCount: added}
		for i, u := range users {
			out.Users[i] = u.ShortUser
		}
		return err
	})
	if err != nil {
		return MembersAdded{}, fmt.Errorf("add users to group %d: %w", groupID, err)
	}
	return out, nil
}

// join inserts the memberships, enrolls the new members and records one
// event per new member. It returns how many joined.
func (s *Service) join(ctx context.Context, tx *sql.Tx, g *groupRow, users []UserRef) (int, error) {
	pks := make([]int64, len(users))
	for i, u := range users {
		pks[i] = u.PK
	}
	joined, err := insertMembers(ctx, tx, g.pk, pks, s.timestamp())
	if err != nil || len(joined) == 0 {
		return 0, err
	}
	enrolled := map[int64][]int64{}
	if s.enroll != nil {
		if enrolled, err = s.enroll.Joined(ctx, tx, g.workspaceID, g.pk, joined); err != nil {
			return 0, err
		}
	}
	isNew := make(map[int64]bool, len(joined))
	for _, pk := range joined {
		isNew[pk] = true
	}
	for _, u := range users {
		if !isNew[u.PK] {
			continue
		}
		ev := MemberEvent{Group: g.ref(), User: u.ShortUser, Courses: nonNil(enrolled[u.PK])}
		if _, err := s.events.Record(ctx, tx, g.workspaceID, EventGroupMemberAdded, ev); err != nil {
			return 0, err
		}
	}
	return len(joined), nil
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// MaxGroupsPerCall bounds how many groups one call adds a user to.
const MaxGroupsPerCall = 100

// AddUserToGroups makes a user a member of each group (Konstantly's
// POST /users/{id}/groups) and returns those groups. Groups the user is in
// already are no error. Returns not_found for the user and invalid naming
// groups[i] for unknown groups.
func (s *Service) AddUserToGroups(ctx context.Context, workspaceID int64, userID string, groupIDs []int64) ([]Group, error) {
	if len(groupIDs) == 0 || len(groupIDs) > MaxGroupsPerCall {
		return nil, fault.Invalid("groups", "must hold 1 to %d group ids", MaxGroupsPerCall)
	}
	var out []Group
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		u, err := FindUser(ctx, tx, workspaceID, userID)
		if err != nil {
			return err
		}
		groups, err := resolveGroupRows(ctx, tx, workspaceID, "groups", groupIDs)
		if err != nil {
			return err
		}
		for i := range groups {
			if _, err := s.join(ctx, tx, &groups[i], []UserRef{u}); err != nil {
				return err
			}
		}
		for _, g := range groups {
			full, err := getGroup(ctx, tx, workspaceID, g.pk)
			if err != nil {
				return err
			}
			out = append(out, full.view())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("add user %s to groups: %w", userID, err)
	}
	return out, nil
}

// RemoveUser takes a user out of a group. Enrollments that only this
// membership gave, and that have no progress, are removed with it. Returns
// not_found for the group or the user. Removing a user who is not a member
// is no error and changes nothing, as adding a member twice is no error.
func (s *Service) RemoveUser(ctx context.Context, workspaceID, groupID int64, userID string) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		g, err := lockGroup(ctx, s.db, tx, workspaceID, groupID)
		if err != nil {
			return err
		}
		u, err := FindUser(ctx, tx, workspaceID, userID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM group_members WHERE group_id = $1 AND user_id = $2`, g.pk, u.PK)
		if err != nil {
			return fmt.Errorf("delete membership: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("delete membership: %w", err)
		} else if n == 0 {
			return nil // not a member: nothing to undo, no event
		}
		removed := map[int64][]int64{}
		if s.enroll != nil {
			if removed, err = s.enroll.Left(ctx, tx, workspaceID, []int64{u.PK}); err != nil {
				return err
			}
		}
		ev := MemberEvent{Group: g.ref(), User: u.ShortUser, Courses: nonNil(removed[u.PK])}
		_, err = s.events.Record(ctx, tx, workspaceID, EventGroupMemberRemoved, ev)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove user %s from group %d: %w", userID, groupID, err)
	}
	return nil
}

// MemberFilter selects members of a group.
type MemberFilter struct {
	Subgroups bool // also members of subgroups, each once
	Offset    int
	Limit     int
}

// ListMembers returns a group's members in the order they were created as
// users. Returns not_found for the group.
func (s *Service) ListMembers(ctx context.Context, workspaceID, groupID int64, f MemberFilter) (UserPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	q := s.db.Read()
	if _, err := groupBase(ctx, q, workspaceID, groupID, false); err != nil {
		return UserPage{}, err
	}
	rows, total, err := listMemberRows(ctx, q, groupID, f)
	if err != nil {
		return UserPage{}, err
	}
	page := UserPage{Users: make([]User, len(rows)), TotalCount: total}
	for i := range rows {
		page.Users[i] = rows[i].view()
	}
	return page, nil
}

// ListUserGroups returns the groups a user is a direct member of, sorted by
// name. Returns not_found for the user.
func (s *Service) ListUserGroups(ctx context.Context, workspaceID int64, userID string, offset, limit int) (GroupPage, error) {
	if limit <= 0 {
		limit = 20
	}
	q := s.db.Read()
	u, err := FindUser(ctx, q, workspaceID, userID)
	if err != nil {
		return GroupPage{}, err
	}
	var total int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM group_members WHERE user_id = $1`, u.PK).Scan(&total); err != nil {
		return GroupPage{}, fmt.Errorf("count groups of user %s: %w", userID, err)
	}
	if total == 0 || offset >= total {
		return GroupPage{Groups: []Group{}, TotalCount: total}, nil
	}
	rows, _, err := queryGroups(ctx, q, `SELECT `+groupColumns+` FROM groups g
		WHERE g.id IN (SELECT group_id FROM group_members WHERE user_id = $1) ORDER BY g.name, g.id LIMIT $2 OFFSET $3`,
		total, u.PK, limit, offset)
	if err != nil {
		return GroupPage{}, err
	}
	return groupPage(rows, total), nil
}
