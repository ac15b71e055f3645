// Package app assembles Roster: it opens the database, builds the feature
// services and the HTTP face, and serves until told to stop. The CLI and the
// end-to-end tests both start Roster through here.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/api"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/idempotency"
	"github.com/rosterhq/roster/internal/op"
	"github.com/rosterhq/roster/internal/ratelimit"
)

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
	// ShutdownTimeout bounds graceful shutdown. Default 15 s.
	ShutdownTimeout time.Duration
}

// DefaultConfig returns the defaults documented on Config.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", DataDir: "data", RateLimit: 1200, ShutdownTimeout: 15 * time.Second}
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
	Idempotency *idempotency.Store
	Registry    *op.Registry
	Server      *api.Server
}

// Open connects to and migrates the database and assembles the services.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	d, err := db.Open(ctx, db.Options{URL: cfg.DatabaseURL, DataDir: cfg.DataDir})
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	a := &App{Config: cfg, Log: log, Now: time.Now, DB: d}
	a.Access = access.NewService(d, a.Now)
	a.Events = events.NewLog(d, a.Now)
	a.Directory = directory.NewService(d, a.Events, a.Now)
	a.Idempotency = idempotency.NewStore(d, a.Now)

	users := a.Directory.UserOps()
	a.Registry = op.NewRegistry()
	a.Registry.Add(users.All()...)

	a.Server, err = api.New(api.Deps{
		Logger: log, Now: a.Now, DB: d, Auth: a.Access, Idempotency: a.Idempotency,
		Limiter: ratelimit.New(a.Now), DefaultRateLimit: cfg.RateLimit,
		Registry: a.Registry, Users: users, Version: Version,
	})
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("build HTTP API: %w", err)
	}
	return a, nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

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
	go a.pruneLoop(ctx)
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
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
