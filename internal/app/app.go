// Package app assembles Roster: it opens the database, builds the feature
// services and the HTTP face, and serves until told to stop. The CLI and the
// end-to-end tests both start Roster through here.
package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/access/accessops"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/automation"
	"github.com/rosterhq/roster/internal/backup"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/idempotency"
	"github.com/rosterhq/roster/internal/jobs"
	"github.com/rosterhq/roster/internal/learning"
	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/metrics"
	"github.com/rosterhq/roster/internal/op"
	"github.com/rosterhq/roster/internal/outbound"
	"github.com/rosterhq/roster/internal/ratelimit"
	"github.com/rosterhq/roster/internal/scim"
	"github.com/rosterhq/roster/internal/webhooks"
)

// jobKinds are the River job kinds Roster runs (webhooks' and automation's
// Kind()), reported by the queue metrics even while none waits.
var jobKinds = []string{"webhook_delivery", "workflow_step"}

// Version is set at build time with -ldflags "-X ...app.Version=…".
var Version = "dev"

// Config is Roster's configuration. The zero value is not useful; start from
// DefaultConfig.
type Config struct {
	// Addr is the listen address. Default 127.0.0.1:8080.
	Addr string
	// DataDir holds the SQLite file when DatabaseURL is empty. Default ./data.
	DataDir string
	// DatabaseURL is postgres://… or a SQLite file path. Default: DataDir/roster.db.
	DatabaseURL string
	// RateLimit is the default requests per minute per API key; 0 disables.
	// Default 1200. A key can carry its own limit.
	RateLimit int
	// AuthFailureLimit is how many failed authentications a client address
	// may make per minute before it is answered 429; 0 disables.
	AuthFailureLimit int
	// ShutdownTimeout bounds graceful shutdown. Default 15 s.
	ShutdownTimeout time.Duration
	// PublicURL is where people and clients reach this server
	// (ROSTER_PUBLIC_URL): named in the OpenAPI document's servers, and the
	// start of links Roster hands out, such as one-time sign-in links.
	// Default http://Addr.
	PublicURL string
	// SMTPURL configures outgoing mail (smtp://user:pass@host:587?from=…);
	// empty disables email steps.
	SMTPURL string
	// AllowPrivateTargets lets webhooks and workflow HTTP steps reach
	// loopback, private and link-local addresses. Off by default.
	AllowPrivateTargets bool
	// ScheduleInterval is how often schedule-triggered workflows are checked.
	// Default 15 s.
	ScheduleInterval time.Duration
	// SecretKey encrypts webhook signing secrets at rest (ROSTER_SECRET_KEY):
	// 32 bytes as base64 or hex, or a passphrase of 32+ characters. Empty on
	// SQLite means a key file generated beside the database (secret.key);
	// PostgreSQL needs it set, the same on every node, or webhook endpoints
	// cannot be created.
	SecretKey string
	// JobRescueAfter is how long a job may stay running before another node
	// takes it back (a node that died mid-job). Default: River's (the job
	// timeout plus a minute).
	JobRescueAfter time.Duration
	// WebhookWorkers is how many deliveries one node sends at once.
	// Default 100.
	WebhookWorkers int
	// Clock replaces the real clock everywhere, River's scheduling included
	// (tests of retry schedules).
	Clock func() time.Time
	// TuneWebhooks and TuneJobs adjust the webhook and job options before
	// use (tests and benchmarks).
	TuneWebhooks func(*webhooks.Options)
	TuneJobs     func(*jobs.Options)
	// MetricsAddr, when set, serves /metrics on its own listener (keep it
	// off the public network). ROSTER_METRICS_ADDR.
	MetricsAddr string
	// MetricsToken, when set, serves /metrics on the main listener to
	// requests with Authorization: Bearer <token>. ROSTER_METRICS_TOKEN.
	MetricsToken string
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: "data", RateLimit: 1200, AuthFailureLimit: 30, ShutdownTimeout: 15 * time.Second,
		ScheduleInterval: 15 * time.Second}
}

// App is a running Roster.
type App struct {
	Config      Config
	Log         *slog.Logger
	Now         func() time.Time
	DB          *db.DB
	Access      *access.Service
	Events      *events.Log
	Directory   *directory.Service
	Learning    *learning.Service
	Idempotency *idempotency.Store
	Registry    *op.Registry
	Server      *api.Server
	Automation  *automation.Service
	Jobs        *jobs.Runner
	Webhooks    *webhooks.Service
	// Outbound is the guarded client for requests to user-supplied URLs.
	Outbound *http.Client
	// Metrics holds the Prometheus collectors.
	Metrics *metrics.Metrics
	stop    context.CancelFunc
	done    chan struct{}
	lock    *backup.Lock // SQLite: held while open (see Open)
}

// Open connects to and migrates the database and assembles the services.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	// A SQLite database is held (shared) while open, so that `roster
	// restore` refuses to replace it under a running server.
	var lock *backup.Lock
	if path, ok := db.SQLitePath(db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir}); ok {
		var err error
		if lock, err = backup.Hold(path); err != nil {
			return nil, err
		}
	}
	a, err := open(ctx, cfg, log)
	if err != nil {
		lock.Release()
		return nil, err
	}
	a.lock = lock
	return a, nil
}

func open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	applied, err := d.MigrateApplied(ctx)
	if err != nil {
		d.Close()
		return nil, err
	}
	for _, v := range applied {
		log.Info("applied migration", "version", v, "database", string(d.Dialect))
	}
	a := &App{Config: cfg, Log: log, Now: time.Now, DB: d, Metrics: metrics.New(d, jobKinds...)}
	if cfg.Clock != nil {
		a.Now = cfg.Clock
	}
	a.Access = access.NewService(d, a.Now)
	a.Events = events.NewLog(d, a.Now)
	a.Directory = directory.NewService(d, a.Events, a.Now)
	a.Learning = learning.NewService(d, a.Events, a.Now)
	a.Directory.SetEnrollments(a.Learning) // group rules follow memberships
	a.Directory.SetPublicURL(cmp.Or(cfg.PublicURL, "http://"+cfg.Addr))
	a.Idempotency = idempotency.NewStore(d, a.Now)

	a.Outbound = outbound.NewClient(outbound.Options{AllowPrivate: cfg.AllowPrivateTargets})
	var mailer automation.Mailer
	if cfg.SMTPURL != "" {
		sender, err := mail.New(cfg.SMTPURL)
		if err != nil {
			d.Close()
			return nil, err
		}
		mailer = countingMailer{sender, a.Metrics}
	}

	users := a.Directory.UserOps()
	a.Registry = op.NewRegistry()
	a.Registry.Add(users.All()...)
	a.Registry.Add(a.Directory.GroupOps().All()...)
	a.Registry.Add(a.Directory.AttributeOps().All()...)
	a.Registry.Add(a.Learning.Ops()...)
	a.Registry.Add(accessops.Ops(a.Access)...)

	// Workflows: the runner calls operations through the registry and queues
	// its steps on River; the service starts runs from events, in the same
	// transaction as the event.
	a.Automation = automation.NewService(d, a.Events, a.Now)
	a.Registry.Add(a.Automation.Ops()...)
	steps := &automation.RiverQueue{}
	runner := automation.NewRunner(d, a.Now, a.Registry, steps, mailer, a.Outbound)
	runner.OnRunEnd(a.Metrics.ObserveWorkflowRun)
	a.Automation.SetRunner(runner)
	a.Automation.AllowPrivateTargets(cfg.AllowPrivateTargets)
	a.Events.OnRecord(a.Automation.OnEvent)

	// Events and webhooks: every recorded event creates its deliveries and
	// their jobs in the recording transaction.
	a.Registry.Add(a.Events.Ops().All()...)
	if err := a.openWebhooks(); err != nil {
		d.Close()
		return nil, err
	}
	a.Registry.Add(a.Webhooks.Ops().All()...)
	a.Events.OnRecord(a.Webhooks.OnEvent)

	workers := river.NewWorkers()
	automation.AddWorkers(workers, runner)
	a.Webhooks.AddWorkers(workers)
	jo := jobs.Options{DB: d, DatabaseURL: cfg.DatabaseURL, Workers: workers, Logger: log, Now: cfg.Clock,
		Queues: map[string]int{automation.QueueName: 20, webhooks.Queue: cmp.Or(cfg.WebhookWorkers, 100)}}
	if cfg.JobRescueAfter > 0 {
		// River refuses a rescue time shorter than the job timeout.
		jo.RescueAfter = cfg.JobRescueAfter
		jo.JobTimeout = min(cmp.Or(jo.JobTimeout, time.Minute), cfg.JobRescueAfter)
	}
	if cfg.TuneJobs != nil {
		cfg.TuneJobs(&jo)
	}
	a.Jobs, err = jobs.Open(ctx, jo)
	if err != nil {
		d.Close()
		return nil, err
	}
	steps.Client = a.Jobs.River
	a.Webhooks.SetJobs(a.Jobs.River)

	// SCIM calls the same user and group operations as the REST API.
	scimFace, err := scim.New(scim.Options{DB: d, Users: users, Registry: a.Registry, Log: log, Now: a.Now})
	if err != nil {
		a.Jobs.Close()
		d.Close()
		return nil, err
	}
	a.Server, err = api.New(api.Deps{
		Logger: log, Now: a.Now, DB: d, Auth: a.Access, Idempotency: a.Idempotency,
		Limiter: ratelimit.New(a.Now), DefaultRateLimit: cfg.RateLimit, AuthFailureLimit: cfg.AuthFailureLimit,
		Registry: a.Registry, Users: users, Version: Version, SCIM: scimFace, LoginLinks: a.Directory,
		Workspaces: a.Access, ServerURL: api.ServerURL(cfg.PublicURL, cfg.Addr),
		Requests: a.Metrics, Metrics: a.Metrics.Handler(), MetricsToken: cfg.MetricsToken,
	})
	if err != nil {
		a.Jobs.Close()
		d.Close()
		return nil, fmt.Errorf("build HTTP API: %w", err)
	}
	a.Automation.SetCatalog(a.Server.Catalog)
	return a, nil
}

// openWebhooks builds the webhook service with the server's secret key.
func (a *App) openWebhooks() error {
	key := a.Config.SecretKey
	if key == "" && a.DB.Dialect == db.SQLite {
		var err error
		if key, err = webhooks.KeyFile(filepath.Join(filepath.Dir(a.DB.Location), "secret.key")); err != nil {
			return err
		}
	}
	cipher, err := webhooks.NewCipher(key)
	if err != nil {
		return fmt.Errorf("secret key: %w", err)
	}
	if !cipher.Ready() {
		a.Log.Warn("no secret key configured (ROSTER_SECRET_KEY): webhook endpoints cannot be created; " +
			"on PostgreSQL set the same key on every node")
	}
	o := webhooks.Options{DB: a.DB, Events: a.Events, Now: a.Now, Cipher: cipher, Logger: a.Log,
		AllowPrivate: a.Config.AllowPrivateTargets, Version: Version, Observe: a.Metrics.ObserveWebhook}
	if a.Config.TuneWebhooks != nil {
		a.Config.TuneWebhooks(&o)
	}
	a.Webhooks = webhooks.New(o)
	return nil
}

// Start begins the background work: River's workers, workflow schedules,
// overdue sweeps, planner statistics of changed tables (PostgreSQL) and the
// pruning of expired idempotency keys. Close stops it.
func (a *App) Start(ctx context.Context) error {
	if err := a.Jobs.Start(ctx); err != nil {
		return err
	}
	ctx, a.stop = context.WithCancel(ctx)
	a.done = make(chan struct{})
	a.Access.WatchRevocations(ctx)
	go func() {
		defer close(a.done)
		go a.Automation.ScheduleLoop(ctx, a.Config.ScheduleInterval, a.Log)
		go a.Learning.RunOverdueSweeps(ctx, time.Minute, a.Log)
		go a.DB.RunAnalyzeLoop(ctx, 30*time.Second, a.Log)
		a.pruneLoop(ctx)
	}()
	return nil
}

// Close stops the background work, letting running jobs finish for up to
// ShutdownTimeout, and releases the database.
func (a *App) Close() error {
	if a.stop != nil {
		a.stop()
		<-a.done
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmp.Or(a.Config.ShutdownTimeout, 15*time.Second))
	defer cancel()
	err := a.Jobs.Stop(ctx)
	a.Jobs.Close()
	err = errors.Join(err, a.DB.Close())
	return errors.Join(err, a.lock.Release())
}

// Serve answers HTTP on ln until ctx is cancelled, then shuts down
// gracefully: in-flight requests get Config.ShutdownTimeout to finish.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Server.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	var metricsSrv *http.Server
	if a.Config.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.Config.MetricsAddr)
		if err != nil {
			return fmt.Errorf("listen on %s for metrics: %w", a.Config.MetricsAddr, err)
		}
		metricsSrv = a.metricsServer()
		go func() {
			if err := metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				a.Log.Error("metrics listener stopped", "err", err.Error())
			}
		}()
		a.Log.Info("metrics serving", "addr", mln.Addr().String(), "path", api.MetricsPath)
		defer metricsSrv.Close()
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "timeout", a.Config.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Config.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("graceful shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// pruneLoop drops expired idempotency records hourly. Losing a run costs
// nothing (the next one catches up), so it needs no durable job.
func (a *App) pruneLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := a.Idempotency.Prune(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("prune idempotency keys", "err", err.Error())
		} else if n > 0 {
			a.Log.Info("pruned idempotency keys", "count", n)
		}
		if n, err := a.Webhooks.Prune(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("prune webhook deliveries", "err", err.Error())
		} else if n > 0 {
			a.Log.Info("pruned webhook deliveries", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// metricsServer serves /metrics alone, for the separate metrics listener.
func (a *App) metricsServer() *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET "+api.MetricsPath, a.Metrics.Handler())
	return &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
}

// countingMailer counts workflow email sent and failed.
type countingMailer struct {
	automation.Mailer
	m *metrics.Metrics
}

func (c countingMailer) Send(ctx context.Context, msg mail.Message) error {
	err := c.Mailer.Send(ctx, msg)
	c.m.ObserveEmail(err)
	return err
}
