// Package op is Roster's operation registry. Each operation — users.create,
// groups.add_users, ... — is defined once, with its input and output types,
// scope and function; the HTTP routes, the OpenAPI document, the operations
// catalog and (later) workflow steps are all derived from that definition.
//
// Input and output types follow huma's conventions: input fields tagged
// path/query/header plus an optional Body, output a struct with a Body.
package op

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/fault"
)

// Op defines one operation.
type Op[I, O any] struct {
	ID          string       // stable dotted name, e.g. "users.create"
	Summary     string       // one line, shown in the catalog and OpenAPI
	Description string       // longer text for OpenAPI
	Tag         string       // OpenAPI tag, e.g. "Users"
	Scope       access.Scope // required scope; empty means any valid key
	Method      string       // HTTP method
	Path        string       // HTTP path below the API prefix, e.g. "/users/{id}"
	Status      int          // success status; default 200
	// MoreErrors are error statuses this operation answers beyond those of
	// its method (e.g. 409 from a GET that refuses a deactivated user), so
	// the OpenAPI document lists them.
	MoreErrors []int
	// MaxBodyBytes raises huma's 1 MiB request body limit for bulk operations.
	MaxBodyBytes int64
	// SelfValidated operations check their body themselves, so that a bad
	// item of a batch is reported on its own instead of refusing the whole
	// request (users.bulk_create). The document still shows the full schema;
	// HTTP only makes sure the body is JSON.
	SelfValidated bool
	// Compat marks an alternative HTTP shape of an operation that exists for
	// drop-in compatibility with another API; it is routed and documented but
	// not listed in the catalog, where the canonical operation stands.
	Compat bool
	// Public operations take no API key (Scope is empty): they authenticate
	// the caller themselves, like an inbound webhook's URL token.
	Public bool
	// Root mounts the operation at Path itself rather than below the API
	// prefix (inbound webhooks live at /hooks/in/{token}).
	Root bool
	// Run does the work for principal p. It is called only after p's scope
	// has been checked.
	Run func(ctx context.Context, p access.Principal, in *I) (*O, error)
}

// Call checks p's scope and runs the operation. Every face — HTTP, the
// compatibility faces, workflow steps — goes through Call.
func (o *Op[I, O]) Call(ctx context.Context, p access.Principal, in *I) (*O, error) {
	if !o.Public && o.Scope != "" {
		if err := p.Require(o.Scope); err != nil {
			return nil, err
		}
	}
	out, err := o.Run(ctx, p, in)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", o.ID, err)
	}
	return out, nil
}

// Meta describes an operation without its types.
type Meta struct {
	ID      string
	Summary string
	Tag     string
	Scope   access.Scope
	Method  string
	Path    string
	Compat  bool
	Public  bool
	Root    bool
}

// Meta returns the operation's description.
func (o *Op[I, O]) Meta() Meta {
	return Meta{ID: o.ID, Summary: o.Summary, Tag: o.Tag, Scope: o.Scope, Method: o.Method, Path: o.Path, Compat: o.Compat, Public: o.Public, Root: o.Root}
}

// Any is an operation of any input and output type.
type Any interface {
	Meta() Meta
	mount(api huma.API, prefix string, mapErr func(context.Context, error) error) *huma.Operation
}

func (o *Op[I, O]) mount(api huma.API, prefix string, mapErr func(context.Context, error) error) *huma.Operation {
	status := o.Status
	if status == 0 {
		status = http.StatusOK
	}
	hop := huma.Operation{
		OperationID:   o.ID,
		Method:        o.Method,
		Path:          prefix + o.Path,
		Summary:       o.Summary,
		Description:   describe(o),
		Tags:          []string{o.Tag},
		DefaultStatus: status,
		MaxBodyBytes:  o.MaxBodyBytes,
		Security:      SecurityRequirements,
		Errors:        append(errorStatuses(o.Method), o.MoreErrors...),
		// Credentials and scope are checked before huma parses and validates
		// the input, so a caller without access learns nothing about it.
		Middlewares: huma.Middlewares{func(hctx huma.Context, next func(huma.Context)) {
			if err := authorize(hctx.Context(), o.Scope); err != nil {
				writeError(hctx, mapErr(hctx.Context(), err))
				return
			}
			next(hctx)
		}},
	}
	if o.SelfValidated {
		hop.SkipValidateBody = true
		hop.Middlewares = append(hop.Middlewares, requireJSON(o.MaxBodyBytes))
	}
	if o.Public {
		hop.Security, hop.Middlewares = nil, nil
		hop.Description = o.Description
	}
	huma.Register(api, hop, func(ctx context.Context, in *I) (*O, error) {
		p, _ := access.FromContext(ctx) // present: the middleware checked
		out, err := o.Call(ctx, p, in)
		if err != nil {
			return nil, mapErr(ctx, err)
		}
		return out, nil
	})
	// huma.Register completes its own copy of the operation (parameters,
	// schemas); the catalog reads that one from the document.
	if item := api.OpenAPI().Paths[hop.Path]; item != nil {
		for _, registered := range []*huma.Operation{item.Get, item.Post, item.Put, item.Patch, item.Delete} {
			if registered != nil && registered.OperationID == hop.OperationID {
				return registered
			}
		}
	}
	return &hop
}

func authorize(ctx context.Context, scope access.Scope) error {
	p, ok := access.FromContext(ctx)
	if !ok {
		return fault.Unauthorized("an API key is required (X-API-KEY, Authorization: Bearer, or api_access_token)")
	}
	if scope == "" {
		return nil // any valid key
	}
	return p.Require(scope)
}

// writeError answers with err, which mapErr made a huma.StatusError.
func writeError(hctx huma.Context, err error) {
	status := http.StatusInternalServerError
	var se huma.StatusError
	if errors.As(err, &se) {
		status = se.GetStatus()
	}
	var he huma.HeadersError
	if errors.As(err, &he) {
		for k, values := range he.GetHeaders() {
			for _, v := range values {
				hctx.AppendHeader(k, v)
			}
		}
	}
	ct := "application/json"
	if f, ok := err.(huma.ContentTypeFilter); ok {
		ct = f.ContentType(ct)
	}
	hctx.SetHeader("Content-Type", ct)
	hctx.SetStatus(status)
	_ = json.NewEncoder(hctx.BodyWriter()).Encode(err)
}

func describe[I, O any](o *Op[I, O]) string {
	d := o.Description
	if d != "" {
		d += "\n\n"
	}
	return d + fmt.Sprintf("Requires scope `%s`. Operation `%s`.", o.Scope, o.ID)
}

func errorStatuses(method string) []int {
	errs := []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusTooManyRequests,
		http.StatusServiceUnavailable}
	if method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut {
		errs = append(errs, http.StatusConflict, http.StatusUnprocessableEntity)
	}
	return errs
}

// SecurityRequirements lists the accepted credentials; each is an API key.
var SecurityRequirements = []map[string][]string{{"apiKey": {}}, {"bearer": {}}, {"apiAccessToken": {}}}

// Registry holds every operation.
type Registry struct {
	ops     []Any
	byID    map[string]Any
	mounted map[string]*huma.Operation
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{byID: map[string]Any{}, mounted: map[string]*huma.Operation{}}
}

// Add registers operations. It panics on a duplicate id: that is a
// programming error caught by any test that builds the server.
func (r *Registry) Add(ops ...Any) {
	for _, o := range ops {
		id := o.Meta().ID
		if _, dup := r.byID[id]; dup {
			panic("op: duplicate operation " + id)
		}
		r.byID[id] = o
		r.ops = append(r.ops, o)
	}
}

// All returns every operation in registration order.
func (r *Registry) All() []Any { return r.ops }

// Lookup returns the operation with the given id.
func (r *Registry) Lookup(id string) (Any, bool) {
	o, ok := r.byID[id]
	return o, ok
}

// Mount registers every operation on api below prefix. mapErr turns a domain
// error into the HTTP error huma writes; it is the one place where that
// mapping happens.
func (r *Registry) Mount(api huma.API, prefix string, mapErr func(context.Context, error) error) {
	for _, o := range r.ops {
		p := prefix
		if o.Meta().Root {
			p = ""
		}
		r.mounted[o.Meta().ID] = o.mount(api, p, mapErr)
	}
}

// IDs returns the sorted operation ids.
func (r *Registry) IDs() []string {
	ids := make([]string, 0, len(r.ops))
	for _, o := range r.ops {
		ids = append(ids, o.Meta().ID)
	}
	sort.Strings(ids)
	return ids
}
