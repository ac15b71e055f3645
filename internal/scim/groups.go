package scim

import (
	"context"
	"database/sql"
	"net/http"
	"strconv"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
)

// fullGroup renders a group with meta and returns it with its version.
func fullGroup(g *groupRec, base string) (map[string]any, string) {
	res := renderGroup(g)
	v := groupVersion(g)
	setMeta(res, "Group", g.created, groupModified(g), base+"/Groups/"+strconv.FormatInt(g.pk, 10), v)
	return res, v
}

func (s *Server) getGroup(rq *request, id string) error {
	ctx := rq.r.Context()
	proj, err := projectionOf(rq.r)
	if err != nil {
		return err
	}
	q := s.db.ReadIn(ctx)
	g, err := loadGroup(ctx, s.db, q, rq.p.WorkspaceID, id, false)
	if err != nil {
		return err
	}
	if proj.wants("members") {
		gs := []groupRec{g}
		if err := loadMembers(ctx, q, gs); err != nil {
			return err
		}
		g = gs[0]
	}
	res, v := fullGroup(&g, rq.base)
	if notModified(rq, v) {
		return nil
	}
	writeResource(rq, http.StatusOK, proj.apply(groupsType, res), v)
	return nil
}

func (s *Server) createGroup(rq *request) error {
	ctx := rq.r.Context()
	proj, err := projectionOf(rq.r)
	if err != nil {
		return err
	}
	var body map[string]any
	if err := decodeBody(rq.r, &body); err != nil {
		return err
	}
	res, err := normalize(groupsType, body)
	if err != nil {
		return err
	}
	_, hasMembers := res["members"]
	want, err := wantGroup(res, hasMembers)
	if err != nil {
		return err
	}
	var gid int64
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// Serialises group writes of the workspace on PostgreSQL, so two
		// creates with one name cannot both pass the uniqueness check.
		if err := directory.LockMemberships(ctx, s.db, tx, rq.p.WorkspaceID); err != nil {
			return err
		}
		if err := s.checkGroupName(ctx, tx, rq.p.WorkspaceID, want.name, 0); err != nil {
			return err
		}
		out, err := s.groups.create.Call(ctx, rq.p, &directory.CreateGroupInput{Body: directory.GroupCreate{Name: want.name}})
		if err != nil {
			return err
		}
		gid = out.Body.ID
		if want.externalID != nil {
			if err := saveGroupSide(ctx, tx, rq.p.WorkspaceID, gid, want.externalID, s.now().UnixMilli()); err != nil {
				return err
			}
		}
		return s.addMembers(ctx, rq.p, gid, want.members)
	})
	if err != nil {
		return err
	}
	rq.w.Header().Set("Location", rq.base+"/Groups/"+strconv.FormatInt(gid, 10))
	return s.answerGroup(rq, gid, http.StatusCreated, proj)
}

// checkGroupName refuses a name another group of the workspace has: Entra
// requires displayName to be unique, and a SCIM group must be found again
// by it.
func (s *Server) checkGroupName(ctx context.Context, tx *sql.Tx, ws int64, name string, except int64) error {
	taken, err := groupNameTaken(ctx, tx, ws, name, except)
	if err != nil {
		return err
	}
	if taken {
		return newError(http.StatusConflict, errUniqueness, "a group named %q already exists", name)
	}
	return nil
}

func (s *Server) addMembers(ctx context.Context, p access.Principal, gid int64, ids []string) error {
	for start := 0; start < len(ids); start += directory.MaxMembersPerCall {
		in := &directory.AddUsersInput{GroupIDParam: directory.GroupIDParam{ID: gid}}
		in.Body.Users = ids[start:min(start+directory.MaxMembersPerCall, len(ids))]
		if _, err := s.groups.add.Call(ctx, p, in); err != nil {
			return err
		}
	}
	return nil
}

func (s *Server) answerGroup(rq *request, gid int64, status int, proj projection) error {
	ctx := rq.r.Context()
	q := s.db.ReadIn(ctx)
	g, err := loadGroup(ctx, s.db, q, rq.p.WorkspaceID, strconv.FormatInt(gid, 10), false)
	if err != nil {
		return err
	}
	if proj.wants("members") {
		gs := []groupRec{g}
		if err := loadMembers(ctx, q, gs); err != nil {
			return err
		}
		g = gs[0]
	}
	res, v := fullGroup(&g, rq.base)
	writeResource(rq, status, proj.apply(groupsType, res), v)
	return nil
}

// writeGroup answers PUT and PATCH. PATCH answers 204 (what Entra expects
// for groups) unless the request asks for attributes.
func (s *Server) writeGroup(rq *request, id string) error {
	ctx := rq.r.Context()
	proj, patch, body, pr, err := decodeWrite(rq)
	if err != nil {
		return err
	}
	var gid int64
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := directory.LockMemberships(ctx, s.db, tx, rq.p.WorkspaceID); err != nil {
			return err
		}
		cur, err := loadGroup(ctx, s.db, tx, rq.p.WorkspaceID, id, true)
		if err != nil {
			return err
		}
		gid = cur.pk
		gs := []groupRec{cur}
		if err := loadMembers(ctx, tx, gs); err != nil {
			return err
		}
		cur = gs[0]
		if err := ifMatch(rq.r, groupVersion(&cur)); err != nil {
			return err
		}
		var res map[string]any
		membersSet := true
		if patch {
			res = renderGroup(&cur)
			if err := applyPatch(groupsType, res, id, pr.Operations); err != nil {
				return err
			}
		} else {
			if res, err = normalize(groupsType, body); err != nil {
				return err
			}
			// A PUT without members does not assert them (RFC 7644 §3.5.1
			// allows this): renaming must not empty the group.
			_, membersSet = res["members"]
		}
		want, err := wantGroup(res, membersSet)
		if err != nil {
			return err
		}
		return s.saveGroup(ctx, tx, rq.p, &cur, want)
	})
	if err != nil {
		return err
	}
	if patch && proj.empty() {
		rq.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	return s.answerGroup(rq, gid, http.StatusOK, proj)
}

// saveGroup takes cur (members loaded) to want through the operations.
func (s *Server) saveGroup(ctx context.Context, tx *sql.Tx, p access.Principal, cur *groupRec, want groupWant) error {
	if want.name != cur.name {
		if err := s.checkGroupName(ctx, tx, p.WorkspaceID, want.name, cur.pk); err != nil {
			return err
		}
		in := &directory.UpdateGroupInput{GroupIDParam: directory.GroupIDParam{ID: cur.pk}, Body: directory.GroupUpdate{Name: &want.name}}
		if _, err := s.groups.update.Call(ctx, p, in); err != nil {
			return err
		}
	}
	if !equalPtr(want.externalID, cur.externalID) {
		if err := saveGroupSide(ctx, tx, p.WorkspaceID, cur.pk, want.externalID, s.now().UnixMilli()); err != nil {
			return err
		}
	}
	if want.members == nil {
		return nil
	}
	add, remove := memberDiff(cur.members, want.members)
	for _, uid := range remove {
		in := &directory.RemoveUserInput{GroupIDParam: directory.GroupIDParam{ID: cur.pk}, UserID: uid}
		if _, err := s.groups.remove.Call(ctx, p, in); err != nil {
			return err
		}
	}
	return s.addMembers(ctx, p, cur.pk, add)
}

func equalPtr(a, b *string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func (s *Server) deleteGroup(rq *request, id string) error {
	err := s.inTx(rq.r.Context(), func(ctx context.Context, tx *sql.Tx) error {
		if err := directory.LockMemberships(ctx, s.db, tx, rq.p.WorkspaceID); err != nil {
			return err
		}
		cur, err := loadGroup(ctx, s.db, tx, rq.p.WorkspaceID, id, true)
		if err != nil {
			return err
		}
		if err := ifMatch(rq.r, groupVersion(&cur)); err != nil {
			return err
		}
		_, err = s.groups.delete.Call(ctx, rq.p, &directory.GroupIDParam{ID: cur.pk})
		return err
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}
