package directory

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/fault"
	"github.com/rosterhq/roster/internal/op"
)

// CreateGroup adds a group, under parentId when given. Returns invalid for
// bad fields or an unknown parent.
func (s *Service) CreateGroup(ctx context.Context, workspaceID int64, in GroupCreate) (Group, error) {
	r, err := newGroupRow(workspaceID, in, s.timestamp())
	if err != nil {
		return Group{}, err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := s.insertNewGroup(ctx, tx, &r); err != nil {
			return err
		}
		_, err := s.events.Record(ctx, tx, workspaceID, EventGroupCreated, r.view())
		return err
	})
	if err != nil {
		return Group{}, fmt.Errorf("create group: %w", err)
	}
	return r.view(), nil
}

func (s *Service) insertNewGroup(ctx context.Context, tx *sql.Tx, r *groupRow) error {
	if r.parentID != nil {
		if _, err := lockGroup(ctx, s.db, tx, r.workspaceID, *r.parentID); err != nil {
			if fault.KindOf(err) == fault.KindNotFound {
				return fault.Invalid("parentId", "no group with id %d", *r.parentID)
			}
			return err
		}
	}
	if err := s.checkAttributeValues(ctx, tx, r.workspaceID, EntityGroup, r.attributes, nil); err != nil {
		return err
	}
	return insertGroup(ctx, tx, r)
}

// GroupEnsure is the input of groups.ensure.
type GroupEnsure struct {
	Name        string    `json:"name" minLength:"1" maxLength:"200" example:"Sales"`
	ParentID    op.NullID `json:"parentId,omitempty" doc:"Look (and create) under this parent only"`
	Description string    `json:"description,omitempty" maxLength:"5000" doc:"Used only when the group is created"`
}

// EnsureGroup returns the oldest group with the name (case-insensitive,
// under parentId when given), creating it when there is none. created tells
// which happened.
func (s *Service) EnsureGroup(ctx context.Context, workspaceID int64, in GroupEnsure) (g Group, created bool, err error) {
	r, err := newGroupRow(workspaceID, GroupCreate{Name: in.Name, ParentID: in.ParentID, Description: in.Description}, s.timestamp())
	if err != nil {
		return Group{}, false, err
	}
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		// The membership lock also serialises concurrent ensures, so two
		// calls with one name make one group.
		if err := LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		found, ok, err := findGroupByName(ctx, tx, workspaceID, r.name, in.ParentID.Ptr())
		if err != nil || ok {
			g = found.view()
			return err
		}
		if err := s.insertNewGroup(ctx, tx, &r); err != nil {
			return err
		}
		g, created = r.view(), true
		_, err = s.events.Record(ctx, tx, workspaceID, EventGroupCreated, g)
		return err
	})
	if err != nil {
		return Group{}, false, fmt.Errorf("ensure group %q: %w", in.Name, err)
	}
	return g, created, nil
}

// GetGroup returns one group. Returns not_found if the id is not in the
// workspace.
func (s *Service) GetGroup(ctx context.Context, workspaceID, id int64) (Group, error) {
	r, err := getGroup(ctx, s.db.Read(), workspaceID, id)
	if err != nil {
		return Group{}, err
	}
	return r.view(), nil
}

// GroupPage is one page of a group list.
type GroupPage struct {
	Groups     []Group `json:"groups"`
	TotalCount int     `json:"totalCount" doc:"Number of groups matching the filter, across all pages"`
}

// ListGroups returns groups sorted by name.
func (s *Service) ListGroups(ctx context.Context, workspaceID int64, f GroupFilter) (GroupPage, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	rows, total, err := listGroupRows(ctx, s.db.Read(), workspaceID, f)
	if err != nil {
		return GroupPage{}, err
	}
	return groupPage(rows, total), nil
}

func groupPage(rows []groupRow, total int) GroupPage {
	page := GroupPage{Groups: make([]Group, len(rows)), TotalCount: total}
	for i := range rows {
		page.Groups[i] = rows[i].view()
	}
	return page
}

// UpdateGroup changes the given fields. Moving the group (parentId) refuses
// cycles and re-applies course rules: members gain the courses of their new
// ancestors' subgroup rules and lose, unless started, those only the old
// ancestors gave.
func (s *Service) UpdateGroup(ctx context.Context, workspaceID, id int64, in GroupUpdate) (Group, error) {
	var out Group
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if in.ParentID.Set {
			if err := LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
				return err
			}
		}
		r, err := lockGroup(ctx, s.db, tx, workspaceID, id)
		if err != nil {
			return err
		}
		before, err := getGroup(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		if err := applyGroupUpdate(&r, in); err != nil {
			return err
		}
		if in.Attributes != nil || in.CustomAttributes != nil {
			touched := touchedKeys(in.Attributes, in.CustomAttributes)
			if err := s.checkAttributeValues(ctx, tx, workspaceID, EntityGroup, r.attributes, touched); err != nil {
				return err
			}
		}
		moved := in.ParentID.Set && !sameParent(r.parentID, in.ParentID.ID)
		var reached []int64
		if moved {
			if err := s.checkMove(ctx, tx, &r, in.ParentID.ID); err != nil {
				return err
			}
			if reached, err = s.coursesReaching(ctx, tx, r.pk); err != nil {
				return err
			}
			r.parentID = in.ParentID.ID
		}
		r.updatedAt = s.timestamp()
		if err := updateGroupRow(ctx, tx, &r); err != nil {
			return err
		}
		if moved && s.enroll != nil {
			after, err := s.coursesReaching(ctx, tx, r.pk)
			if err != nil {
				return err
			}
			if err := s.enroll.Reconcile(ctx, tx, workspaceID, union(reached, after), true); err != nil {
				return err
			}
		}
		full, err := getGroup(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		out = full.view()
		change, err := events.WithChanges(before.view(), out)
		if err != nil {
			return err
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventGroupUpdated, change)
		return err
	})
	if err != nil {
		return Group{}, fmt.Errorf("update group %d: %w", id, err)
	}
	return out, nil
}

// checkMove refuses a parent that is missing, the group itself or one of its
// descendants.
func (s *Service) checkMove(ctx context.Context, tx *sql.Tx, r *groupRow, parent *int64) error {
	if parent == nil {
		return nil
	}
	if *parent == r.pk {
		return fault.Invalid("parentId", "a group cannot be its own parent")
	}
	if _, err := lockGroup(ctx, s.db, tx, r.workspaceID, *parent); err != nil {
		if fault.KindOf(err) == fault.KindNotFound {
			return fault.Invalid("parentId", "no group with id %d", *parent)
		}
		return err
	}
	above, err := groupAncestors(ctx, tx, *parent)
	if err != nil {
		return err
	}
	if slices.Contains(above, r.pk) {
		return fault.Invalid("parentId", "group %d is inside group %d; moving %d under it would make a cycle", *parent, r.pk, r.pk)
	}
	return nil
}

func (s *Service) coursesReaching(ctx context.Context, tx *sql.Tx, groupID int64) ([]int64, error) {
	if s.enroll == nil {
		return nil, nil
	}
	return s.enroll.CoursesReaching(ctx, tx, groupID)
}

func union(a, b []int64) []int64 {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}

// DeleteGroup removes a group for good. Its subgroups move up to its parent;
// its memberships and course rules go, and so do the enrollments only it gave
// that have no progress — all in one transaction.
func (s *Service) DeleteGroup(ctx context.Context, workspaceID, id int64) error {
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		if err := LockMemberships(ctx, s.db, tx, workspaceID); err != nil {
			return err
		}
		if _, err := lockGroup(ctx, s.db, tx, workspaceID, id); err != nil {
			return err
		}
		r, err := getGroup(ctx, tx, workspaceID, id)
		if err != nil {
			return err
		}
		reached, err := s.coursesReaching(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := deleteGroupRow(ctx, tx, &r, s.timestamp()); err != nil {
			return err
		}
		if s.enroll != nil {
			if err := s.enroll.Reconcile(ctx, tx, workspaceID, reached, false); err != nil {
				return err
			}
		}
		_, err = s.events.Record(ctx, tx, workspaceID, EventGroupDeleted, r.view())
		return err
	})
	if err != nil {
		return fmt.Errorf("delete group %d: %w", id, err)
	}
	return nil
}
