// Command webhooks measures event → webhook delivery in process: it starts
// Roster on a fresh database, subscribes N loopback receivers to
// user.created, creates users at a fixed rate (each user.created event fans
// out to every endpoint) and reports how long each delivery took from the
// commit of its event to its arrival, and how many deliveries per second
// arrived while the load ran.
//
//	go run ./bench/webhooks -db sqlite -endpoints 10 -rate 200 -d 15s
//	go run ./bench/webhooks -db postgres -dsn postgres://postgres@127.0.0.1:5432/test?sslmode=disable -rate 200 -d 15s
//
// -rate 0 creates users as fast as -c writers can (closed loop). The run
// stops by itself: after -d of load it waits up to -drain for the backlog.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rosterhq/roster/internal/access"
	"github.com/rosterhq/roster/internal/app"
	"github.com/rosterhq/roster/internal/directory"
	"github.com/rosterhq/roster/internal/jobs"
	"github.com/rosterhq/roster/internal/webhooks"
)

func main() {
	dialect := flag.String("db", "sqlite", "sqlite or postgres")
	dsn := flag.String("dsn", os.Getenv("ROSTER_TEST_POSTGRES_DSN"), "PostgreSQL DSN (a scratch schema is created and dropped)")
	endpoints := flag.Int("endpoints", 10, "receivers subscribed to user.created")
	rate := flag.Int("rate", 200, "events per second (0: as fast as -c writers go)")
	writers := flag.Int("c", 8, "concurrent writers")
	dur := flag.Duration("d", 15*time.Second, "load duration")
	warmup := flag.Duration("warmup", 2*time.Second, "load before measuring starts")
	drain := flag.Duration("drain", 60*time.Second, "longest wait for the backlog after the load")
	workers := flag.Int("workers", 100, "River workers for deliveries")
	pollOnly := flag.Bool("poll-only", false, "PostgreSQL: poll for jobs instead of LISTEN/NOTIFY")
	fetchPoll := flag.Duration("fetch-poll", 0, "River's FetchPollInterval (0: Roster's default)")
	fetchCooldown := flag.Duration("fetch-cooldown", 0, "River's FetchCooldown (0: Roster's default)")
	source := flag.String("source", "events", "what makes the events: events (record a user.created event with a full user in its own transaction) or users (create users through the directory service)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.BoolVar(&tableStats, "table-stats", false, "PostgreSQL: print per-table scan and write counts of the run")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		_ = pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	tuneFetchPoll, tuneFetchCooldown = *fetchPoll, *fetchCooldown
	if err := run(*dialect, *dsn, *source, *endpoints, *rate, *writers, *dur, *warmup, *drain, *workers, *pollOnly); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "webhooks bench:", err)
		os.Exit(1)
	}
}

var tuneFetchPoll, tuneFetchCooldown time.Duration

// recorder collects arrivals.
type recorder struct {
	mu        sync.Mutex
	committed map[string]time.Time // user id → commit time of its event
	lat       []time.Duration      // measured arrivals only
	seen      map[string]int       // endpoint + webhook-id → arrivals
	measuring atomic.Bool
	arrived   atomic.Int64
	measured  atomic.Int64
}

func (r *recorder) handler(endpoint int) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		now := time.Now()
		body, _ := io.ReadAll(req.Body)
		var env struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		_ = json.Unmarshal(body, &env)
		key := fmt.Sprintf("%d %s", endpoint, req.Header.Get("webhook-id"))
		r.mu.Lock()
		r.seen[key]++
		at, ok := r.committed[env.Data.ID]
		if ok && r.measuring.Load() {
			r.lat = append(r.lat, now.Sub(at))
			r.measured.Add(1)
		}
		r.mu.Unlock()
		r.arrived.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}
}

func run(dialect, dsn, source string, nEndpoints, rate, writers int, dur, warmup, drain time.Duration, workers int, pollOnly bool) error {
	ctx := context.Background()
	cfg := app.DefaultConfig()
	cfg.RateLimit = 0
	cfg.AllowPrivateTargets = true
	cfg.SecretKey = "bench-secret-key-bench-secret-key-0123"
	cfg.WebhookWorkers = workers
	cfg.TuneJobs = func(o *jobs.Options) {
		o.PollOnly = pollOnly
		if tuneFetchPoll > 0 {
			o.FetchPollInterval = tuneFetchPoll
		}
		if tuneFetchCooldown > 0 {
			o.FetchCooldown = tuneFetchCooldown
		}
	}
	switch dialect {
	case "sqlite":
		dir, err := os.MkdirTemp("", "roster-bench-*")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.DatabaseURL = filepath.Join(dir, "roster.db")
	case "postgres":
		if dsn == "" {
			return fmt.Errorf("-dsn or ROSTER_TEST_POSTGRES_DSN is required for postgres")
		}
		u, drop, err := scratchSchema(dsn)
		if err != nil {
			return err
		}
		defer drop()
		cfg.DatabaseURL = u
	default:
		return fmt.Errorf("-db must be sqlite or postgres")
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}
	ws, err := a.Access.CreateWorkspace(ctx, "bench")
	if err != nil {
		return err
	}
	p := access.Principal{WorkspaceID: ws.ID, Scopes: access.AllScopes}

	rec := &recorder{committed: map[string]time.Time{}, seen: map[string]int{}}
	for i := range nEndpoints {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: rec.handler(i)}
		go srv.Serve(ln)
		defer srv.Close()
		if _, err := a.Webhooks.CreateEndpoint(ctx, p, webhooks.EndpointCreate{URL: "http://" + ln.Addr().String() + "/hook",
			EventTypes: []string{"user.created"}}); err != nil {
			return err
		}
	}

	// Load: create users at the rate, each on its own transaction.
	var seq, created, failed atomic.Int64
	create := func() {
		n := seq.Add(1)
		id := fmt.Sprintf("u%08d", n)
		var err error
		switch source {
		case "users":
			var u directory.User
			u, err = a.Directory.CreateUser(ctx, ws.ID, directory.UserCreate{ID: id, Name: fmt.Sprintf("Bench %d", n), Email: fmt.Sprintf("b%d@example.com", n)})
			id = u.ID
		default:
			err = a.DB.InTx(ctx, func(tx *sql.Tx) error {
				_, err := a.Events.Record(ctx, tx, ws.ID, "user.created", sampleUser(id, n))
				return err
			})
		}
		if err != nil {
			failed.Add(1)
			return
		}
		now := time.Now()
		rec.mu.Lock()
		rec.committed[id] = now
		rec.mu.Unlock()
		created.Add(1)
	}
	start := time.Now()
	stopLoad := start.Add(warmup + dur)
	busy0, total0 := cpuStat()
	self0, pg0 := selfCPU(), processCPU("postgres")
	measureFrom := start.Add(warmup)
	var arrivedAtMeasure atomic.Int64
	go func() {
		time.Sleep(time.Until(measureFrom))
		arrivedAtMeasure.Store(rec.arrived.Load())
	}()
	var wg sync.WaitGroup
	if rate > 0 {
		sem := make(chan struct{}, writers)
		interval := time.Second / time.Duration(rate)
		next := time.Now()
		for time.Now().Before(stopLoad) {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				create()
			}()
			if time.Since(start) >= warmup && !rec.measuring.Load() {
				rec.measuring.Store(true)
			}
		}
	} else {
		go func() {
			time.Sleep(warmup)
			rec.measuring.Store(true)
		}()
		for range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(stopLoad) {
					create()
				}
			}()
		}
	}
	wg.Wait()
	loadEnd := time.Now()
	busy1, total1 := cpuStat()
	self1, pg1 := selfCPU(), processCPU("postgres")
	arrivedAtEnd := rec.arrived.Load()
	want := created.Load() * int64(nEndpoints)
	deadline := time.Now().Add(drain)
	for rec.arrived.Load() < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	drained := time.Since(loadEnd)
	rec.measuring.Store(false)

	rec.mu.Lock()
	lat := append([]time.Duration(nil), rec.lat...)
	dups := 0
	for _, n := range rec.seen {
		if n > 1 {
			dups++
		}
	}
	rec.mu.Unlock()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	window := loadEnd.Sub(measureFrom).Seconds()
	mode := fmt.Sprintf("%d events/s", rate)
	if rate == 0 {
		mode = fmt.Sprintf("closed loop, %d writers", writers)
	}
	driver := dialect
	if dialect == "postgres" {
		driver += map[bool]string{true: " (riverdatabasesql, polling)", false: " (riverdatabasesql + pgx LISTEN)"}[pollOnly]
	}
	fmt.Printf("database        %s, GOMAXPROCS %d, %d River workers, %d endpoints\n", driver, runtime.GOMAXPROCS(0), workers, nEndpoints)
	fmt.Printf("load            %s for %s after %s warm-up; events from %s\n", mode, dur, warmup, source)
	fmt.Printf("events          %d created (%.0f/s), %d failed\n", created.Load(), float64(created.Load())/loadEnd.Sub(start).Seconds(), failed.Load())
	fmt.Printf("deliveries      %d of %d arrived, %d duplicated, backlog drained %s after the load\n",
		rec.arrived.Load(), want, dups, drained.Round(time.Millisecond))
	fmt.Printf("throughput      %.0f deliveries/s arrived during the measured %.1f s\n",
		float64(arrivedAtEnd-arrivedAtMeasure.Load())/window, window)
	if total1 > total0 {
		cores := float64(runtime.NumCPU())
		wall := loadEnd.Sub(start).Seconds()
		fmt.Printf("cpu             machine %.0f%% busy (%d cores); this process %.0f%% of one core, postgres processes %.0f%%\n",
			100*float64(busy1-busy0)/float64(total1-total0), int(cores), 100*(self1-self0).Seconds()/wall, 100*(pg1-pg0).Seconds()/wall)
	}
	fmt.Printf("latency         commit → arrival over %d deliveries: p50 %s  p90 %s  p99 %s  max %s\n",
		len(lat), ms(pct(0.50)), ms(pct(0.90)), ms(pct(0.99)), ms(pct(1)))
	if tableStats && dialect == "postgres" {
		printTableStats(ctx, a.DB.Read())
	}
	if rec.arrived.Load() < want {
		return fmt.Errorf("%d deliveries missing after the drain", want-rec.arrived.Load())
	}
	return nil
}

var tableStats bool

// printTableStats shows, per table of the run's schema, how it was read
// and written: where PostgreSQL's time went.
func printTableStats(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}) {
	rows, err := q.QueryContext(ctx, `SELECT relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0), coalesce(idx_tup_fetch, 0),
		n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del FROM pg_stat_user_tables WHERE schemaname = current_schema()
		ORDER BY seq_tup_read + coalesce(idx_tup_fetch, 0) DESC`)
	if err != nil {
		fmt.Println("table stats:", err)
		return
	}
	defer rows.Close()
	fmt.Printf("%-24s %9s %12s %9s %12s %9s %9s %9s %9s\n", "table", "seq_scan", "seq_read", "idx_scan", "idx_fetch", "ins", "upd", "hot_upd", "del")
	for rows.Next() {
		var name string
		var v [8]int64
		if err := rows.Scan(&name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]); err != nil {
			return
		}
		fmt.Printf("%-24s %9d %12d %9d %12d %9d %9d %9d %9d\n", name, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7])
	}
}

// sampleUser is a user as user.created carries it (about 450 bytes).
func sampleUser(id string, n int64) map[string]any {
	return map[string]any{"id": id, "name": fmt.Sprintf("Bench %d", n), "displayName": "", "email": fmt.Sprintf("b%d@example.com", n),
		"role": map[string]any{"alias": "learner"}, "roleAlias": "learner", "language": "en", "timezone": "UTC",
		"occupation": "", "location": "", "status": "active", "isBanned": false, "fromApi": true, "hasPassword": false,
		"image": nil, "customAttributes": map[string]any{"department": "R&D"}, "attributes": map[string]any{"department": "R&D"},
		"createdAt": time.Now().Unix(), "updatedAt": time.Now().Unix()}
}

// cpuStat returns the machine's busy and total CPU ticks from /proc/stat
// (zeros elsewhere).
func cpuStat() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	var name string
	var v [8]uint64
	if _, err := fmt.Sscan(string(b), &name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]); err != nil {
		return 0, 0
	}
	for _, x := range v {
		total += x
	}
	return total - v[3] - v[4], total // idle and iowait are not busy
}

// processCPU sums the CPU time of the live processes named name (the
// PostgreSQL server's backends), from /proc; processes that end during the
// run are not counted.
func processCPU(name string) time.Duration {
	dirs, _ := os.ReadDir("/proc")
	var ticks uint64
	for _, d := range dirs {
		b, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		st := string(b)
		open, close := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
		if open < 0 || close < open || st[open+1:close] != name {
			continue
		}
		f := strings.Fields(st[close+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseUint(f[11], 10, 64)
		k, _ := strconv.ParseUint(f[12], 10, 64)
		ticks += u + k
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }

// scratchSchema creates a schema to run in and returns a DSN using it and a
// function dropping it.
func scratchSchema(dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "bench_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		_, _ = admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}
