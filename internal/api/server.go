package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/rosterhq/roster/internal/api/docsui"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/idempotency"
	"github.com/rosterhq/roster/internal/op"
	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/scim"
)

// Deps is what the HTTP face needs from the rest of Roster.
type Deps struct {
	Logger           *slog.Logger
	Now              func() time.Time
	DB               *db.DB
	Auth             Authenticator
	Idempotency      *idempotency.Store
	Limiter          *ratelimit.Limiter
	DefaultRateLimit int // requests per minute per key; 0 disables the limit
	AuthFailureLimit int // failed authentications per minute per client address; 0 disables the throttle
	Registry         *op.Registry
	Users            directory.UserOps
	Version          string
	// ServerURL is where clients reach this Roster, named in the OpenAPI
	// document's servers (see ServerURL).
	ServerURL string
	// Workspaces backs the platform face's accounts.
	Workspaces Workspaces
	// LoginLinks serves one-time sign-in links at /sso/login/{token}.
	LoginLinks LoginLinks
	// SCIM is the SCIM 2.0 face, mounted at scim.Prefix when set.
	SCIM http.Handler
	// Requests, when set, observes every finished request (metrics).
	Requests RequestObserver
	// Metrics is served at /metrics to bearers of MetricsToken; neither set
	// means no /metrics on this handler (a separate listener may serve it).
	Metrics      http.Handler
	MetricsToken string
}

// Server is the assembled HTTP face.
type Server struct {
	Handler  http.Handler
	API      huma.API
	Registry *op.Registry
	// Platform holds the Chatwoot-style platform operations.
	Platform *op.Registry
	// Chatwoot holds the Chatwoot application operations (/api/v1/accounts/…).
	Chatwoot *op.Registry
	// Catalog indexes the catalog entries, for workflow validation.
	Catalog op.Index
}

// New builds the handler: every registry operation under /api/v1 (and its
// Konstantly alias /openapi/v1), the platform face, health, the catalog and
// the OpenAPI document.
func New(d Deps) (*Server, error) {
	useProblemErrors()
	errs := errorMapper{log: d.Logger}
	mux := http.NewServeMux()

	cfg := huma.DefaultConfig("Roster API", d.Version)
	cfg.CreateHooks = nil // no $schema links in responses: Konstantly clients expect plain objects
	cfg.DocsPath = ""     // /docs is served from the embedded Redoc bundle (docsui), not a CDN
	cfg.Info.Description = "Roster's people & learning API. Authenticate with an API key in `X-API-KEY`, " +
		"`Authorization: Bearer`, or `api_access_token` (also spelled `Api-Access-Token`). Errors are RFC 9457 problem+json. " +
		"Every POST and PATCH accepts an `Idempotency-Key` header (kept 24 hours)."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"apiKey":         {Type: "apiKey", In: "header", Name: "X-API-KEY"},
		"bearer":         {Type: "http", Scheme: "bearer"},
		"apiAccessToken": {Type: "apiKey", In: "header", Name: "api_access_token"},
	}
	api := humago.New(mux, cfg)
	api.UseMiddleware(recordOperation) // before any Register: huma binds middlewares then

	d.Registry.Mount(api, apiPrefix, errs.mapErr)
	platform := platformOps(d.Users, d.Workspaces)
	platform.Mount(api, platformPrefix, errs.mapErr)
	chatwoot := chatwootAccountOps(d.Registry, d.Users)
	chatwoot.Mount(api, apiPrefix, errs.mapErr)
	if d.SCIM != nil {
		mux.Handle(scim.Prefix, d.SCIM)
		mux.Handle(scim.Prefix+"/", d.SCIM)
	}
	if d.LoginLinks != nil {
		mux.Handle("GET "+directory.LoginPath+"{token}", signInHandler(d.LoginLinks, errs))
	}
	registerHealth(api, d.DB)
	registerChatwootStatus(api, d.DB, d.Version, d.Now)
	entries, err := registerCatalog(api, d.Registry)
	if err != nil {
		return nil, err
	}
	if d.ServerURL == "" {
		d.ServerURL = ServerURL("", "")
	}
	describeDocument(api, d.ServerURL)
	docsui.Register(mux, "/openapi.json")
	var h http.Handler = withProblemForUnrouted(mux)
	h = withIdempotency(d.Idempotency, d.Logger, h)
	h = withRateLimit(d.Limiter, d.DefaultRateLimit, d.Now, h)
	h = withAuthentication(d.Auth, authThrottle{limiter: d.Limiter, limit: d.AuthFailureLimit, now: d.Now}, errs, h)
	h = withStorableText(h)
	h = scim.Errors(scim.Prefix, h) // the SCIM face answers SCIM errors, also for refusals above
	h = withCanonicalPath(h)
	h = withMetricsEndpoint(d.Metrics, d.MetricsToken, h)
	h = withRecovery(d.Logger, h)
	h = withRequestInfo(d.Logger, d.Requests, h)
	return &Server{Handler: h, API: api, Registry: d.Registry, Platform: platform, Chatwoot: chatwoot, Catalog: op.NewIndex(entries)}, nil
}

// withProblemForUnrouted answers requests that match no route, or match one
// with another method, with problem+json 404 or 405 (keeping the mux's Allow
// header) instead of the mux's plain text.
func withProblemForUnrouted(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			writeProblem(w, r, newProblem(http.StatusMethodNotAllowed, "method_not_allowed",
				r.Method+" is not allowed on "+r.URL.Path+"; allowed: "+rec.header.Get("Allow")+"."))
			return
		}
		if p := unmappedChatwoot(r.URL.Path); p != nil {
			writeProblem(w, r, p)
			return
		}
		writeProblem(w, r, newProblem(http.StatusNotFound, "no_route", "No route matches "+r.Method+" "+r.URL.Path+"."))
	})
}

// headerRecorder keeps the status and headers of the mux's own error reply
// and drops its body.
type headerRecorder struct {
	header http.Header
	status int
}

func (r *headerRecorder) Header() http.Header         { return r.header }
func (r *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *headerRecorder) WriteHeader(status int)      { r.status = status }

type healthOutput struct {
	Body struct {
		Status        string `json:"status" example:"ok"`
		Database      string `json:"database,omitempty" example:"sqlite"`
		SchemaVersion int    `json:"schemaVersion,omitempty"`
	}
}

func registerHealth(api huma.API, d *db.DB) {
	huma.Register(api, huma.Operation{OperationID: "health.live", Method: http.MethodGet, Path: "/healthz",
		Summary: "Liveness: the process is serving", Tags: []string{"Health"}},
		func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
			out := &healthOutput{}
			out.Body.Status = "ok"
			return out, nil
		})
	huma.Register(api, huma.Operation{OperationID: "health.ready", Method: http.MethodGet, Path: "/readyz",
		Summary: "Readiness: the database answers and is migrated", Tags: []string{"Health"}, Errors: []int{http.StatusServiceUnavailable}},
		func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := d.Ping(ctx); err != nil {
				return nil, newProblem(http.StatusServiceUnavailable, "database_unavailable", "The database does not answer.")
			}
			v, err := d.SchemaVersion(ctx)
			if err != nil {
				return nil, newProblem(http.StatusServiceUnavailable, "database_unavailable", "The database schema cannot be read.")
			}
			out := &healthOutput{}
			out.Body.Status, out.Body.Database, out.Body.SchemaVersion = "ready", string(d.Dialect), v
			return out, nil
		})
}

type catalogOutput struct {
	Body struct {
		Actions []op.Entry `json:"actions" doc:"Every operation with its typed input and output fields"`
	}
}

func registerCatalog(api huma.API, reg *op.Registry) ([]op.Entry, error) {
	entries, err := reg.Catalog(api.OpenAPI())
	if err != nil {
		return nil, err
	}
	huma.Register(api, huma.Operation{OperationID: "catalog.get", Method: http.MethodGet, Path: apiPrefix + "/catalog",
		Summary: "Operations catalog", Tags: []string{"Catalog"},
		Description: "Every action with its typed fields, required flags and scope, for no-code tools. Public: it describes the API, not data."},
		func(ctx context.Context, _ *struct{}) (*catalogOutput, error) {
			out := &catalogOutput{}
			out.Body.Actions = entries
			return out, nil
		})
	return entries, nil
}
