// Package cli is the roster command: serve, migrate, and administration of
// workspaces and API keys. main only calls Run.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/db"
)

var usage = `roster — people & learning platform with an integration-first API

Usage:
  roster serve       [--addr 127.0.0.1:8080] [--data-dir ./data] [--database-url URL] [--rate-limit 1200] [--auth-failure-limit 30]
                     [--log-level info] [--log-format json|text] [--smtp-url smtp://…] [--allow-private-targets]
                     [--public-url https://roster.example.com] [--metrics-addr 127.0.0.1:9090]
  roster migrate     [--status] [db flags]
  roster workspaces  create NAME | list | delete NAME [--yes]            [db flags]
  roster keys        create --workspace NAME --scopes users.readonly,...|all [--name N] [--rate-limit N]
  roster keys        create --platform [--name N]   (server-wide key for the Chatwoot platform API)
  roster keys        list --workspace NAME | list --platform | revoke KEY_ID [db flags]
  roster import      users.csv [--url http://127.0.0.1:8080] [--key KEY] [--map "Col=field,…"] [--on-existing error|skip|update] [--batch N] [--restart]
  roster openapi     [--public-url URL]     print the OpenAPI document served at /openapi.json
  roster backup      FILE [db flags]        (SQLite; consistent while the server runs)
  roster restore     FILE [db flags]        (SQLite; refused while a server uses the database)
  roster version

Every flag can also be set by environment: ROSTER_ADDR, ROSTER_DATA_DIR,
ROSTER_DATABASE_URL (postgres://… or a SQLite file path), ROSTER_RATE_LIMIT,
ROSTER_LOG_LEVEL, ROSTER_LOG_FORMAT (json or text), ROSTER_SECRET_KEY (encrypts webhook secrets; required on PostgreSQL), ROSTER_SMTP_URL,
ROSTER_ALLOW_PRIVATE_TARGETS, ROSTER_AUTH_FAILURE_LIMIT, ROSTER_PUBLIC_URL, ROSTER_METRICS_ADDR, ROSTER_METRICS_TOKEN (serves /metrics on
the main listener to this bearer token), ROSTER_URL and ROSTER_API_KEY (import). Scopes (README, "Scopes"): ` + strings.ReplaceAll(scopeList(access.AllScopes), ",", " ") + `
`

// Env is the process environment, passed in so tests control it.
type Env struct {
	Getenv func(string) string
	Stdout io.Writer
	Stderr io.Writer
}

// Run executes one roster command.
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest, env)
	case "migrate":
		return migrate(ctx, rest, env)
	case "workspaces", "workspace":
		return workspaces(ctx, rest, env)
	case "keys", "key":
		return keys(ctx, rest, env)
	case "import":
		return importUsers(ctx, rest, env)
	case "openapi":
		return openAPI(ctx, rest, env)
	case "backup":
		return backupCmd(ctx, rest, env)
	case "restore":
		return restoreCmd(ctx, rest, env)
	case "version":
		fmt.Fprintln(env.Stdout, app.Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	fmt.Fprint(env.Stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

// commonFlags binds the flags every command shares, with env defaults.
type commonFlags struct {
	cfg       app.Config
	logLevel  string
	logFormat string
}

func newFlags(name string, env Env) (*flag.FlagSet, *commonFlags) {
	fs := flag.NewFlagSet("roster "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	c := &commonFlags{cfg: app.DefaultConfig()}
	getenv := func(k, def string) string {
		if v := env.Getenv(k); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&c.cfg.DataDir, "data-dir", getenv("ROSTER_DATA_DIR", c.cfg.DataDir), "directory for the SQLite database")
	fs.StringVar(&c.cfg.DatabaseURL, "database-url", getenv("ROSTER_DATABASE_URL", ""), "postgres://… or a SQLite file path (default DATA_DIR/roster.db)")
	fs.StringVar(&c.logLevel, "log-level", getenv("ROSTER_LOG_LEVEL", "info"), "debug, info, warn or error")
	fs.StringVar(&c.logFormat, "log-format", getenv("ROSTER_LOG_FORMAT", "json"), "json (for log collectors) or text (for people)")
	return fs, c
}

func (c *commonFlags) logger(env Env) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.logFormat) {
	case "json", "":
		return slog.New(slog.NewJSONHandler(env.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(env.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format (ROSTER_LOG_FORMAT): want json or text, got %q", c.logFormat)
}

func (c *commonFlags) open(ctx context.Context, env Env) (*app.App, error) {
	log, err := c.logger(env)
	if err != nil {
		return nil, err
	}
	return app.Open(ctx, c.cfg, log)
}

func serve(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("serve", env)
	fs.StringVar(&c.cfg.Addr, "addr", envOr(env, "ROSTER_ADDR", c.cfg.Addr), "listen address")
	rate := fs.String("rate-limit", envOr(env, "ROSTER_RATE_LIMIT", strconv.Itoa(c.cfg.RateLimit)), "default requests per minute per API key (0 = unlimited)")
	authFailures := fs.String("auth-failure-limit", envOr(env, "ROSTER_AUTH_FAILURE_LIMIT", strconv.Itoa(c.cfg.AuthFailureLimit)),
		"failed authentications per minute per client address before it is answered 429 (0 = unlimited)")
	fs.StringVar(&c.cfg.SMTPURL, "smtp-url", env.Getenv("ROSTER_SMTP_URL"), "SMTP server for workflow email: smtp://user:pass@host:587?from=Name%20<addr>")
	fs.StringVar(&c.cfg.PublicURL, "public-url", env.Getenv("ROSTER_PUBLIC_URL"), "URL people and clients reach Roster at: named in /openapi.json and the start of the links it hands out (default: http:// and the listen address)")
	allowDefault, err := strconv.ParseBool(envOr(env, "ROSTER_ALLOW_PRIVATE_TARGETS", "false"))
	if err != nil {
		return fmt.Errorf("ROSTER_ALLOW_PRIVATE_TARGETS: want true or false")
	}
	fs.BoolVar(&c.cfg.AllowPrivateTargets, "allow-private-targets", allowDefault,
		"let webhooks and workflow HTTP steps reach loopback and private addresses (local setups and tests only)")
	fs.StringVar(&c.cfg.MetricsAddr, "metrics-addr", env.Getenv("ROSTER_METRICS_ADDR"),
		"serve Prometheus metrics at /metrics on this separate address (e.g. 127.0.0.1:9090)")
	rescue := fs.Duration("job-rescue-after", 0, "take back jobs running this long on a node that died (default: job timeout + 1 min; env ROSTER_JOB_RESCUE_AFTER)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.cfg.JobRescueAfter = *rescue
	// The key that encrypts webhook secrets is a secret itself: environment
	// only, never a flag (flags show in process listings).
	c.cfg.SecretKey = env.Getenv("ROSTER_SECRET_KEY")
	c.cfg.MetricsToken = env.Getenv("ROSTER_METRICS_TOKEN")
	if v := env.Getenv("ROSTER_JOB_RESCUE_AFTER"); v != "" && *rescue == 0 {
		if c.cfg.JobRescueAfter, err = time.ParseDuration(v); err != nil {
			return fmt.Errorf("ROSTER_JOB_RESCUE_AFTER: %w", err)
		}
	}
	n, err := strconv.Atoi(*rate)
	if err != nil || n < 0 {
		return fmt.Errorf("--rate-limit: want a whole number ≥ 0, got %q", *rate)
	}
	c.cfg.RateLimit = n
	if c.cfg.AuthFailureLimit, err = strconv.Atoi(*authFailures); err != nil || c.cfg.AuthFailureLimit < 0 {
		return fmt.Errorf("--auth-failure-limit: want a whole number ≥ 0, got %q", *authFailures)
	}
	tuneGC(env)
	a, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	secret, err := a.Access.Bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("first-start setup: %w", err)
	}
	if secret != "" {
		fmt.Fprintf(env.Stderr, "\nCreated workspace %q and an admin API key with every scope.\n"+
			"It is shown this once; store it now:\n\n    %s\n\n", access.DefaultWorkspaceName, secret)
	}
	ln, err := net.Listen("tcp", c.cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.cfg.Addr, err)
	}
	a.Log.Info("roster serving", "addr", ln.Addr().String(), "database", string(a.DB.Dialect), "location", a.DB.Location, "version", app.Version)
	return a.Serve(ctx, ln)
}

// tuneGC sets the server's garbage collection unless GOGC or GOMEMLIMIT say
// otherwise. Roster's live heap is small (tens of MB) and nearly all its
// garbage is per request, so collecting at five times the live heap rather
// than twice spends far less CPU on GC (users.list: see bench/README.md),
// while the soft limit keeps a large live heap from growing five-fold.
func tuneGC(env Env) {
	if env.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if env.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(512 << 20)
	}
}

func envOr(env Env, key, def string) string {
	if v := env.Getenv(key); v != "" {
		return v
	}
	return def
}

func migrate(ctx context.Context, args []string, env Env) error {
	fs, c := newFlags("migrate", env)
	status := fs.Bool("status", false, "list applied and pending migrations without applying any")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *status {
		return migrationStatus(ctx, c, env)
	}
	a, err := c.open(ctx, env) // Open migrates
	if err != nil {
		return err
	}
	defer a.Close()
	v, err := a.DB.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "schema version %d (%s)\n", v, a.DB.Dialect)
	return nil
}

func workspaces(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("usage: roster workspaces create NAME | list | delete NAME --yes")
	}
	fs, c := newFlags("workspaces "+args[0], env)
	yes := fs.Bool("yes", false, "delete: confirm deleting the workspace and everything in it")
	names, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	a, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "create":
		if len(names) != 1 {
			return errors.New("usage: roster workspaces create NAME")
		}
		ws, err := a.Access.CreateWorkspace(ctx, names[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%d\t%s\n", ws.ID, ws.Name)
		return nil
	case "delete":
		return deleteWorkspace(ctx, a, names, *yes, env)
	case "list":
		list, err := a.Access.ListWorkspaces(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tCREATED")
		for _, ws := range list {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", ws.ID, ws.Name, ws.CreatedAt.Format(time.RFC3339))
		}
		return tw.Flush()
	}
	return fmt.Errorf("unknown workspaces command %q", args[0])
}

// parseInterspersed parses flags placed before, between or after the
// positional arguments ("delete acme --yes") and returns the positionals.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func keys(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return errors.New("usage: roster keys create|list|revoke")
	}
	fs, c := newFlags("keys "+args[0], env)
	workspace := fs.String("workspace", "", "workspace name")
	scopes := fs.String("scopes", "", "comma-separated scopes, or all")
	name := fs.String("name", "", "label for the key")
	rate := fs.Int("rate-limit", 0, "requests per minute for this key (0 = server default)")
	platform := fs.Bool("platform", false, "a server-wide platform key (Chatwoot platform API: workspaces and roles), not a workspace key")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	a, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer a.Close()
	if *platform {
		return platformKeys(ctx, a, args[0], *workspace, *scopes, *name, env)
	}
	switch args[0] {
	case "create":
		ws, err := a.Access.WorkspaceByName(ctx, *workspace)
		if err != nil {
			return fmt.Errorf("--workspace: %w", err)
		}
		sc, err := access.ParseScopes(*scopes)
		if err != nil {
			return fmt.Errorf("--scopes: %w", err)
		}
		k, secret, err := a.Access.CreateKey(ctx, access.NewKey{WorkspaceID: ws.ID, Name: *name, Scopes: sc, RateLimit: *rate})
		if err != nil {
			return err
		}
		// The secret alone on stdout so scripts can capture it; the rest on stderr.
		fmt.Fprintln(env.Stdout, secret)
		fmt.Fprintf(env.Stderr, "key %s for workspace %q with scopes %s (shown once)\n", k.ID, ws.Name, scopeList(k.Scopes))
		return nil
	case "list":
		ws, err := a.Access.WorkspaceByName(ctx, *workspace)
		if err != nil {
			return fmt.Errorf("--workspace: %w", err)
		}
		list, err := a.Access.ListKeys(ctx, ws.ID)
		if err != nil {
			return err
		}
		return printKeys(env, list)
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("usage: roster keys revoke KEY_ID")
		}
		if err := a.Access.RevokeKey(ctx, fs.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stderr, "key %s revoked\n", fs.Arg(0))
		return nil
	}
	return fmt.Errorf("unknown keys command %q", args[0])
}

// platformKeys runs `roster keys create|list --platform`. A platform key has
// the one scope `platform` and belongs to no workspace.
func platformKeys(ctx context.Context, a *app.App, cmd, workspace, scopes, name string, env Env) error {
	if workspace != "" || scopes != "" {
		return errors.New("--platform keys belong to no workspace and carry only the platform scope: drop --workspace and --scopes")
	}
	switch cmd {
	case "create":
		k, secret, err := a.Access.CreatePlatformKey(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.Stdout, secret)
		fmt.Fprintf(env.Stderr, "platform key %s (scope platform; shown once)\n", k.ID)
		return nil
	case "list":
		list, err := a.Access.ListPlatformKeys(ctx)
		if err != nil {
			return err
		}
		return printKeys(env, list)
	}
	return fmt.Errorf("unknown keys command %q with --platform (create or list; revoke takes any key id)", cmd)
}

// printKeys lists keys as a table, never with their secrets.
func printKeys(env Env, list []access.Key) error {
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tREVOKED")
	for _, k := range list {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, scopeList(k.Scopes), k.CreatedAt.Format(time.RFC3339),
			orDash(k.LastUsedAt), orDash(k.RevokedAt))
	}
	return tw.Flush()
}

func scopeList(scopes []access.Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, ",")
}

func orDash(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.RFC3339)
}

// migrationStatus prints every migration this binary carries, applied or
// pending, and any applied one it does not know (a newer release's). It opens
// the database without migrating it.
func migrationStatus(ctx context.Context, c *commonFlags, env Env) error {
	d, err := db.Open(ctx, db.Options{URL: c.cfg.DatabaseURL, DataDir: c.cfg.DataDir})
	if err != nil {
		return err
	}
	defer d.Close()
	states, err := d.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tNAME\tSTATUS\tAPPLIED AT")
	var pending, unknown int
	for _, s := range states {
		st, at := "pending", "-"
		switch {
		case s.Unknown:
			st, at = "applied (newer release)", s.AppliedAt.Format(time.RFC3339)
			unknown++
		case s.Applied:
			st, at = "applied", s.AppliedAt.Format(time.RFC3339)
		default:
			pending++
		}
		fmt.Fprintf(tw, "%04d\t%s\t%s\t%s\n", s.Version, s.Name, st, at)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %d pending", d.Dialect, pending)
	if unknown > 0 {
		fmt.Fprintf(env.Stdout, "; %d from a newer release: this roster will refuse to start", unknown)
	}
	fmt.Fprintln(env.Stdout)
	return nil
}
