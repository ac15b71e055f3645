package scim

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/op"
)

// Prefix is where the SCIM face answers.
const Prefix = "/scim/v2"

// Options are what the SCIM face needs.
type Options struct {
	DB       *db.DB
	Users    directory.UserOps
	Registry *op.Registry // holds the group operations
	Log      *slog.Logger
	Now      func() time.Time
	// MaxResults caps a list page (and is advertised as filter.maxResults).
	// Default 200.
	MaxResults int
	// MaxScan caps how many users or groups one list request may evaluate
	// in Go when its filter cannot be translated to SQL. Default 100,000.
	MaxScan int
}

// Server is the SCIM face, an http.Handler for everything under Prefix.
type Server struct {
	db         *db.DB
	users      directory.UserOps
	groups     groupOps
	log        *slog.Logger
	now        func() time.Time
	maxResults int
	maxScan    int
}

type groupOps struct {
	create *op.Op[directory.CreateGroupInput, directory.GroupOutput]
	update *op.Op[directory.UpdateGroupInput, directory.GroupOutput]
	delete *op.Op[directory.GroupIDParam, directory.NoContent]
	add    *op.Op[directory.AddUsersInput, directory.MembersAddedOutput]
	remove *op.Op[directory.RemoveUserInput, directory.NoContent]
}

// lookupOp finds an operation by id with the expected types.
func lookupOp[I, O any](reg *op.Registry, id string) (*op.Op[I, O], error) {
	o, ok := reg.Lookup(id)
	if !ok {
		return nil, fmt.Errorf("scim: operation %s is not registered", id)
	}
	typed, ok := o.(*op.Op[I, O])
	if !ok {
		return nil, fmt.Errorf("scim: operation %s has unexpected types %T", id, o)
	}
	return typed, nil
}

// New builds the SCIM face.
func New(o Options) (*Server, error) {
	s := &Server{db: o.DB, users: o.Users, log: o.Log, now: o.Now, maxResults: o.MaxResults, maxScan: o.MaxScan}
	if s.maxResults <= 0 {
		s.maxResults = 200
	}
	if s.maxScan <= 0 {
		s.maxScan = 100_000
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	var err error
	if s.groups.create, err = lookupOp[directory.CreateGroupInput, directory.GroupOutput](o.Registry, "groups.create"); err != nil {
		return nil, err
	}
	if s.groups.update, err = lookupOp[directory.UpdateGroupInput, directory.GroupOutput](o.Registry, "groups.update"); err != nil {
		return nil, err
	}
	if s.groups.delete, err = lookupOp[directory.GroupIDParam, directory.NoContent](o.Registry, "groups.delete"); err != nil {
		return nil, err
	}
	if s.groups.add, err = lookupOp[directory.AddUsersInput, directory.MembersAddedOutput](o.Registry, "groups.add_users"); err != nil {
		return nil, err
	}
	if s.groups.remove, err = lookupOp[directory.RemoveUserInput, directory.NoContent](o.Registry, "groups.remove_user"); err != nil {
		return nil, err
	}
	return s, nil
}

// principal is the rights the SCIM scope implies: the canonical user and
// group operations are called with users.write and groups.write in the
// key's workspace, under the key's id (so logs and rate limits still name
// the key).
func principal(p access.Principal) access.Principal {
	return access.Principal{WorkspaceID: p.WorkspaceID, KeyID: p.KeyID, RateLimit: p.RateLimit,
		Scopes: []access.Scope{access.UsersWrite, access.GroupsWrite}}
}

// request is one SCIM call.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	p    access.Principal // derived, see principal
	base string           // absolute URL of the SCIM root, for meta.location
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "scim panic", "panic", v, "stack", string(debug.Stack()))
			writeError(w, newError(http.StatusInternalServerError, "", "an internal error occurred; it has been logged"))
		}
	}()
	key, ok := access.FromContext(r.Context())
	if !ok {
		writeError(w, newError(http.StatusUnauthorized, "", "an API key with the scim scope is required (Authorization: Bearer <key>)"))
		return
	}
	if !key.Allows(access.SCIM) {
		writeError(w, newError(http.StatusForbidden, "", "this API key lacks the %q scope", access.SCIM))
		return
	}
	if err := checkContentType(r); err != nil {
		writeError(w, err)
		return
	}
	rq := &request{w: w, r: r, p: principal(key), base: baseURL(r)}
	if err := s.route(rq); err != nil {
		names := userFields
		if strings.HasPrefix(strings.ToLower(strings.TrimPrefix(r.URL.Path, Prefix)), "/groups") {
			names = groupFields
		}
		writeError(w, s.toError(r.Context(), err, names))
	}
}

func (s *Server) route(rq *request) error {
	rest := strings.TrimPrefix(rq.r.URL.Path, Prefix)
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	m := rq.r.Method
	head := strings.ToLower(parts[0])
	switch {
	case head == "serviceproviderconfig" && len(parts) == 1:
		return s.discovery(rq, m, s.serviceProviderConfig)
	case head == "resourcetypes" && len(parts) <= 2:
		return s.discovery(rq, m, func(rq *request) error { return s.resourceTypes(rq, parts[1:]) })
	case head == "schemas" && len(parts) <= 2:
		return s.discovery(rq, m, func(rq *request) error { return s.schemas(rq, parts[1:]) })
	case head == "users" || head == "groups":
		return s.resources(rq, head, parts[1:])
	case head == "bulk" || head == "me" || head == ".search":
		return newError(http.StatusNotImplemented, "", "/%s is not supported", parts[0])
	}
	return notFound("no SCIM endpoint at %s", rq.r.URL.Path)
}

func (s *Server) discovery(rq *request, method string, fn func(*request) error) error {
	if method != http.MethodGet {
		return methodNotAllowed(rq, "GET")
	}
	if rq.r.URL.Query().Has("filter") {
		return newError(http.StatusForbidden, "", "discovery endpoints take no filter")
	}
	return fn(rq)
}

func (s *Server) resources(rq *request, kind string, rest []string) error {
	m := rq.r.Method
	users := kind == "users"
	switch {
	case len(rest) == 0:
		switch m {
		case http.MethodGet:
			return s.list(rq, users, nil)
		case http.MethodPost:
			if users {
				return s.createUser(rq)
			}
			return s.createGroup(rq)
		}
		return methodNotAllowed(rq, "GET, POST")
	case len(rest) == 1 && rest[0] == ".search":
		if m != http.MethodPost {
			return methodNotAllowed(rq, "POST")
		}
		var body map[string]any
		if err := decodeBody(rq.r, &body); err != nil {
			return err
		}
		return s.list(rq, users, body)
	case len(rest) == 1:
		id := rest[0]
		switch m {
		case http.MethodGet:
			if users {
				return s.getUser(rq, id)
			}
			return s.getGroup(rq, id)
		case http.MethodPut, http.MethodPatch:
			if users {
				return s.writeUser(rq, id)
			}
			return s.writeGroup(rq, id)
		case http.MethodDelete:
			if users {
				return s.deleteUser(rq, id)
			}
			return s.deleteGroup(rq, id)
		}
		return methodNotAllowed(rq, "GET, PUT, PATCH, DELETE")
	}
	return notFound("no SCIM endpoint at %s", rq.r.URL.Path)
}

func methodNotAllowed(rq *request, allow string) error {
	rq.w.Header().Set("Allow", allow)
	return newError(http.StatusMethodNotAllowed, "", "%s is not allowed here; allowed: %s", rq.r.Method, allow)
}

// checkContentType accepts SCIM's media type, plain JSON, and text/json
// (Okta's examples), or none.
func checkContentType(r *http.Request) *Error {
	ct := r.Header.Get("Content-Type")
	if ct == "" || r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == mediaType || mt == "application/json" || mt == "text/json") {
		return nil
	}
	return newError(http.StatusUnsupportedMediaType, "", "send application/scim+json, not %q", ct)
}

const maxBody = 8 << 20

// decodeBody reads a JSON object.
func decodeBody(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return badRequest(errInvalidSyntax, "the request body could not be read")
	}
	if len(body) > maxBody {
		return newError(http.StatusRequestEntityTooLarge, "", "the request body is larger than %d bytes", maxBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest(errInvalidSyntax, "the body is not a JSON object: %v", err)
	}
	return nil
}

// baseURL is the absolute URL of the SCIM root as the client reached it.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host + Prefix
}

// inTx runs fn in one transaction that every operation it calls joins, so
// a SCIM write (several operations plus the side tables) commits whole or
// not at all, events included.
func (s *Server) inTx(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error { return fn(db.WithTx(ctx, tx), tx) })
}

// ifMatch refuses a write when If-Match names another version.
func ifMatch(r *http.Request, version string) error {
	h := r.Header.Get("If-Match")
	if h == "" || etagListHas(h, version) {
		return nil
	}
	return newError(http.StatusPreconditionFailed, "", "the resource has changed: its version is %s", version)
}

// etagListHas matches an If-Match / If-None-Match list against version,
// comparing weakly (W/ ignored), with * matching any.
func etagListHas(list, version string) bool {
	want := strings.TrimPrefix(version, "W/")
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == want {
			return true
		}
	}
	return false
}

// writeResource answers with one resource and its ETag.
func writeResource(rq *request, status int, res map[string]any, version string) {
	rq.w.Header().Set("ETag", version)
	if status == http.StatusCreated {
		if meta, ok := res["meta"].(map[string]any); ok {
			rq.w.Header().Set("Location", fmt.Sprint(meta["location"]))
		}
	}
	writeJSON(rq.w, status, res)
}
