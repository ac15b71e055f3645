// Command load drives a running Roster over HTTP and reports throughput and
// latency percentiles, next to the loopback ceiling of a bare Go handler
// measured in the same run:
//
//	go run ./bench/load -url http://127.0.0.1:8080 -key rk_… -scenario users.create -c 32 -d 10s
//
// Every request loop is bounded by -d and -n; the command stops by itself.
// It only ever targets the URL given (use a loopback address).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"
)

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", envOr("ROSTER_URL", "http://127.0.0.1:8080"), "Roster base URL")
	flag.StringVar(&cfg.key, "key", os.Getenv("ROSTER_API_KEY"), "API key with the scopes the scenario needs")
	scenario := flag.String("scenario", "users.create", "scenario: "+strings.Join(scenarioNames(), ", "))
	flag.IntVar(&cfg.concurrency, "c", 32, "concurrent clients")
	flag.DurationVar(&cfg.duration, "d", 10*time.Second, "how long to run (upper bound)")
	flag.IntVar(&cfg.count, "n", 0, "stop after this many operations (0: run for -d)")
	flag.IntVar(&cfg.size, "size", 0, "scenario size (group members, users to import…); 0 for its default")
	ceiling := flag.Bool("ceiling", true, "also measure a bare Go handler on loopback for the ratio")
	asJSON := flag.Bool("json", false, "print the report as JSON")
	asRow := flag.String("row", "", "print the report as one Markdown table row, labelled with this engine name")
	flag.Parse()

	sc, ok := scenarios[*scenario]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q; known: %s\n", *scenario, strings.Join(scenarioNames(), ", "))
		os.Exit(2)
	}
	if cfg.key == "" {
		fmt.Fprintln(os.Stderr, "-key or ROSTER_API_KEY is required")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cfg.client = &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.concurrency * 2}}

	if _, err := do(ctx, cfg.client, http.MethodGet, cfg.url+"/healthz", "", "", http.StatusOK); err != nil {
		fmt.Fprintln(os.Stderr, "roster is not reachable:", err)
		os.Exit(1)
	}
	rep := report{Scenario: *scenario, Concurrency: cfg.concurrency}
	pid := serverPID(cfg.url)
	rep.ServerRSSBeforeMB = rssMB(pid)
	res, err := sc(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scenario failed:", err)
		os.Exit(1)
	}
	rep.Result = res
	rep.ServerRSSAfterMB = rssMB(pid)
	if *ceiling && res.Ops > 1 {
		c := measureCeiling(ctx, cfg.concurrency, min(cfg.duration, 3*time.Second))
		rep.Ceiling = &c
		if c.Throughput > 0 {
			rep.RatioToCeiling = res.Throughput / c.Throughput
		}
	}
	if *asRow != "" {
		rep.row(*asRow)
		return
	}
	if *asJSON {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rep)
		return
	}
	rep.print()
}

type config struct {
	url, key    string
	concurrency int
	duration    time.Duration
	count       int
	size        int
	client      *http.Client
}

type report struct {
	Scenario          string  `json:"scenario"`
	Concurrency       int     `json:"concurrency"`
	Result            result  `json:"result"`
	Ceiling           *result `json:"ceiling,omitempty"`
	RatioToCeiling    float64 `json:"ratioToCeiling,omitempty"`
	ServerRSSBeforeMB float64 `json:"serverRssBeforeMB,omitempty"`
	ServerRSSAfterMB  float64 `json:"serverRssAfterMB,omitempty"`
}

func (r report) print() {
	fmt.Printf("scenario %s, %d concurrent\n", r.Scenario, r.Concurrency)
	r.Result.print("roster")
	if r.Ceiling != nil {
		r.Ceiling.print("bare handler")
		fmt.Printf("ratio to bare handler: %.3f\n", r.RatioToCeiling)
	}
	if r.ServerRSSAfterMB > 0 {
		fmt.Printf("server RSS: %.1f MB before, %.1f MB after\n", r.ServerRSSBeforeMB, r.ServerRSSAfterMB)
	}
}

// row prints | scenario | engine | throughput | p50 | p99 | errors | ratio | RSS |.
func (r report) row(engine string) {
	ratio := ""
	if r.Ceiling != nil {
		ratio = fmt.Sprintf("%.3f", r.RatioToCeiling)
	}
	fmt.Printf("| %s | %s | %d | %.0f/s | %.1f ms | %.1f ms | %.1f ms | %d | %s | %.0f MB |\n",
		r.Scenario, engine, r.Concurrency, r.Result.Throughput, r.Result.P50ms, r.Result.P99ms, r.Result.MaxMs,
		r.Result.Errors, ratio, r.ServerRSSAfterMB)
	if r.Result.Note != "" {
		fmt.Printf("|  |  |  | %s |  |  |  |  |  |  |\n", r.Result.Note)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func scenarioNames() []string {
	var names []string
	for n := range scenarios {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
