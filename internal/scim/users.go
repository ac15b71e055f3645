package scim

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/fault"
)

// fullUser renders a user with meta and returns it with its version.
func fullUser(r *userRec, base string) (map[string]any, string) {
	res := renderUser(r)
	v := contentVersion(res)
	setMeta(res, "User", r.created, max(r.updated, r.scimUpdated), base+"/Users/"+r.id, v)
	return res, v
}

func (s *Server) getUser(rq *request, id string) error {
	ctx := rq.r.Context()
	proj, err := projectionOf(rq.r)
	if err != nil {
		return err
	}
	rec, err := loadUser(ctx, s.db, s.db.ReadIn(ctx), rq.p.WorkspaceID, id, false)
	if err != nil {
		return err
	}
	res, v := fullUser(&rec, rq.base)
	if notModified(rq, v) {
		return nil
	}
	writeResource(rq, http.StatusOK, proj.apply(usersType, res), v)
	return nil
}

// notModified answers 304 when If-None-Match names the current version.
func notModified(rq *request, version string) bool {
	inm := rq.r.Header.Get("If-None-Match")
	if inm == "" || !etagListHas(inm, version) {
		return false
	}
	rq.w.Header().Set("ETag", version)
	rq.w.WriteHeader(http.StatusNotModified)
	return true
}

func (s *Server) createUser(rq *request) error {
	ctx := rq.r.Context()
	proj, err := projectionOf(rq.r)
	if err != nil {
		return err
	}
	var body map[string]any
	if err := decodeBody(rq.r, &body); err != nil {
		return err
	}
	res, err := normalize(usersType, body)
	if err != nil {
		return err
	}
	want, err := wantUser(res, nil)
	if err != nil {
		return err
	}
	var id string
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := checkUserName(ctx, tx, rq.p.WorkspaceID, want.userName, 0); err != nil {
			return err
		}
		in := &directory.CreateUserInput{Body: want.create()}
		out, err := s.users.Create.Call(ctx, rq.p, in)
		if passwordRefused(err) {
			s.log.WarnContext(ctx, "scim: password does not meet Roster's rules; user provisioned without one", "email", in.Body.Email)
			in.Body.Password = ""
			out, err = s.users.Create.Call(ctx, rq.p, in)
		}
		if err != nil {
			return err
		}
		id = out.Body.ID
		if want.active != nil && !*want.active {
			if _, err := s.users.Deactivate.Call(ctx, rq.p, &directory.UserIDParam{ID: id}); err != nil {
				return err
			}
		}
		ref, err := directory.FindUser(ctx, tx, rq.p.WorkspaceID, id)
		if err != nil {
			return err
		}
		if want.sideChanged(&userRec{}) {
			if err := saveUserSide(ctx, tx, rq.p.WorkspaceID, ref.PK, want.side(), s.now().UnixMilli()); err != nil {
				return err
			}
		}
		return creationIsOneChange(ctx, tx, ref.PK)
	})
	if err != nil {
		return err
	}
	return s.answerUser(rq, id, http.StatusCreated, proj)
}

// answerUser reads a user back after a write and answers with it.
func (s *Server) answerUser(rq *request, id string, status int, proj projection) error {
	rec, err := loadUser(rq.r.Context(), s.db, s.db.ReadIn(rq.r.Context()), rq.p.WorkspaceID, id, false)
	if err != nil {
		return err
	}
	res, v := fullUser(&rec, rq.base)
	if status == http.StatusCreated {
		rq.w.Header().Set("Location", rq.base+"/Users/"+rec.id)
	}
	writeResource(rq, status, proj.apply(usersType, res), v)
	return nil
}

// decodeWrite reads a PUT (a whole resource) or PATCH (operations) request
// and its projection.
func decodeWrite(rq *request) (proj projection, patch bool, body map[string]any, pr PatchRequest, err error) {
	if proj, err = projectionOf(rq.r); err != nil {
		return
	}
	patch = rq.r.Method == http.MethodPatch
	if patch {
		err = decodeBody(rq.r, &pr)
	} else {
		err = decodeBody(rq.r, &body)
	}
	return
}

// writeUser answers PUT (replace) and PATCH. Both compute the wanted
// resource — the body, or the current resource with the operations applied
// — and write the difference in one transaction.
func (s *Server) writeUser(rq *request, id string) error {
	ctx := rq.r.Context()
	proj, patch, body, pr, err := decodeWrite(rq)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		cur, err := loadUser(ctx, s.db, tx, rq.p.WorkspaceID, id, true)
		if err != nil {
			return err
		}
		if err := ifMatch(rq.r, contentVersion(renderUser(&cur))); err != nil {
			return err
		}
		var res map[string]any
		if patch {
			res = renderUser(&cur)
			if err := applyPatch(usersType, res, cur.id, pr.Operations); err != nil {
				return err
			}
		} else if res, err = normalize(usersType, body); err != nil {
			return err
		}
		want, err := wantUser(res, &cur)
		if err != nil {
			return err
		}
		return s.saveUser(ctx, tx, rq.p, &cur, want)
	})
	if err != nil {
		return err
	}
	return s.answerUser(rq, id, http.StatusOK, proj)
}

// saveUser takes cur to want through the canonical operations (each joins
// the caller's transaction) and writes the side table.
func (s *Server) saveUser(ctx context.Context, tx *sql.Tx, p access.Principal, cur *userRec, want userWant) error {
	if err := checkUserName(ctx, tx, p.WorkspaceID, want.userName, cur.pk); err != nil {
		return err
	}
	if upd, changed := want.update(cur); changed {
		in := &directory.UpdateUserInput{UserIDParam: directory.UserIDParam{ID: cur.id}, Body: upd}
		_, err := s.users.Update.Call(ctx, p, in)
		if passwordRefused(err) {
			s.log.WarnContext(ctx, "scim: password does not meet Roster's rules; not changed", "user", cur.id)
			in.Body.Password = nil
			err = nil
			if !emptyUpdate(in.Body) {
				_, err = s.users.Update.Call(ctx, p, in)
			}
		}
		if err != nil {
			return err
		}
	}
	if want.active != nil && *want.active != (cur.status == directory.StatusActive) {
		o := s.users.Reactivate
		if !*want.active {
			o = s.users.Deactivate
		}
		if _, err := o.Call(ctx, p, &directory.UserIDParam{ID: cur.id}); err != nil {
			return err
		}
	}
	if !want.sideChanged(cur) {
		return nil
	}
	return saveUserSide(ctx, tx, p.WorkspaceID, cur.pk, want.side(), s.now().UnixMilli())
}

func emptyUpdate(u directory.UserUpdate) bool {
	return u.Name == nil && u.DisplayName == nil && u.Email == nil && u.Language == nil && u.Timezone == nil &&
		u.Occupation == nil && u.Password == nil && len(u.CustomAttributes) == 0
}

// passwordRefused reports whether an operation refused only the password.
// Identity providers that sync passwords (Okta) follow their own policy; a
// password Roster's rules refuse is dropped rather than failing the
// provisioning of the person.
func passwordRefused(err error) bool {
	fe, ok := fault.As(err)
	return ok && fe.Kind == fault.KindInvalid && len(fe.Fields) == 1 && fe.Fields[0].Field == "password"
}

// checkUserName refuses a userName another user has (409 uniqueness, what
// Okta relies on to link an existing account).
func checkUserName(ctx context.Context, tx *sql.Tx, ws int64, name string, except int64) error {
	taken, err := userNameTaken(ctx, tx, ws, name, except)
	if err != nil {
		return err
	}
	if taken {
		return newError(http.StatusConflict, errUniqueness, "a user with userName %q already exists", name)
	}
	return nil
}

// deleteUser removes the user for good (users.delete). Deactivation is
// active=false, never a delete.
func (s *Server) deleteUser(rq *request, id string) error {
	err := s.inTx(rq.r.Context(), func(ctx context.Context, tx *sql.Tx) error {
		cur, err := loadUser(ctx, s.db, tx, rq.p.WorkspaceID, id, true)
		if err != nil {
			return err
		}
		if err := ifMatch(rq.r, contentVersion(renderUser(&cur))); err != nil {
			return err
		}
		_, err = s.users.Delete.Call(ctx, rq.p, &directory.UserIDParam{ID: id})
		return err
	})
	if err != nil {
		return err
	}
	rq.w.WriteHeader(http.StatusNoContent)
	return nil
}

// projectionOf reads attributes / excludedAttributes from the query.
func projectionOf(r *http.Request) (projection, error) {
	var p projection
	var err error
	q := r.URL.Query()
	if p.include, err = parseAttrList(q.Get("attributes")); err != nil {
		return p, err
	}
	p.exclude, err = parseAttrList(q.Get("excludedAttributes"))
	return p, err
}

// compile-time check that PatchRequest decodes through its UnmarshalJSON.
var _ json.Unmarshaler = (*PatchRequest)(nil)

// creationIsOneChange stamps every part of a user created over SCIM with the
// creation time: the create may take several writes (deactivation, the SCIM
// side), but to a client it is one change, so meta.lastModified must equal
// meta.created until the resource changes (RFC 7643 §3.1).
func creationIsOneChange(ctx context.Context, tx *sql.Tx, pk int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = created_at WHERE id = $1`, pk); err != nil {
		return fmt.Errorf("stamp created user: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE scim_users SET updated_at = (SELECT created_at FROM users WHERE id = $1) WHERE user_id = $1`, pk); err != nil {
		return fmt.Errorf("stamp created user: %w", err)
	}
	return nil
}
