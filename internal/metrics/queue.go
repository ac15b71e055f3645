package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/rosterhq/roster/internal/db"
)

// queueCollector reads the job queue (River's river_job table) at scrape
// time: how many unfinished jobs each kind has per state, and how long the
// oldest job ready to run has waited. It is read on every node; the queue is
// shared, so every node reports the same figures.
type queueCollector struct {
	db    *db.DB
	kinds []string
	depth *prometheus.Desc
	age   *prometheus.Desc
	up    *prometheus.Desc
}

func newQueueCollector(d *db.DB, kinds []string) *queueCollector {
	return &queueCollector{
		db: d, kinds: kinds,
		depth: prometheus.NewDesc("roster_job_queue_depth",
			"Unfinished background jobs, by kind (webhook delivery, workflow step, …) and state (available, scheduled, retryable, running, pending).",
			[]string{"kind", "state"}, nil),
		age: prometheus.NewDesc("roster_job_queue_oldest_age_seconds",
			"How long the oldest due job has waited past its scheduled time without starting, by kind (0 when none waits).",
			[]string{"kind"}, nil),
		up: prometheus.NewDesc("roster_job_queue_scrape_success",
			"1 when the job queue could be read for this scrape.", nil, nil),
	}
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.age
	ch <- c.up
}

// unfinished are River's states of a job that has not ended.
var unfinished = []string{"available", "scheduled", "retryable", "running", "pending"}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	ok := 1.0
	if err := c.collect(ctx, ch); err != nil {
		ok = 0
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, ok)
}

func (c *queueCollector) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	type key struct{ kind, state string }
	depth := map[key]float64{}
	ages := map[string]float64{}
	for _, k := range c.kinds {
		ages[k] = 0
		for _, st := range unfinished {
			depth[key{k, st}] = 0
		}
	}
	// The state filter uses River's (state, queue, …) index: finished jobs,
	// kept for a day, are not scanned.
	rows, err := c.db.Read().QueryContext(ctx, `SELECT kind, state, count(*) FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable', 'running', 'pending') GROUP BY kind, state`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var n int64
		if err := rows.Scan(&k.kind, &k.state, &n); err != nil {
			return err
		}
		depth[k] = float64(n)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	// Waiting time of due jobs: those not started whose scheduled time has
	// passed (River moves them from scheduled or retryable to available
	// every few seconds; all three wait alike). River keeps SQLite times as
	// UTC text, PostgreSQL's as timestamptz.
	age := `SELECT kind, extract(epoch FROM now() - min(scheduled_at))::float8 FROM river_job
		WHERE state IN ('available', 'scheduled', 'retryable') AND scheduled_at <= now() GROUP BY kind`
	if c.db.Dialect == db.SQLite {
		age = `SELECT kind, (julianday('now') - min(julianday(scheduled_at))) * 86400.0 FROM river_job
			WHERE state IN ('available', 'scheduled', 'retryable') AND julianday(scheduled_at) <= julianday('now') GROUP BY kind`
	}
	rows2, err := c.db.Read().QueryContext(ctx, age)
	if err != nil {
		return err
	}
	defer rows2.Close()
	for rows2.Next() {
		var kind string
		var secs *float64
		if err := rows2.Scan(&kind, &secs); err != nil {
			return err
		}
		v := 0.0
		if secs != nil && *secs > 0 {
			v = *secs
		}
		ages[kind] = v
	}
	if err := rows2.Err(); err != nil {
		return err
	}
	for k, n := range depth {
		ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, n, k.kind, k.state)
	}
	for kind, v := range ages {
		ch <- prometheus.MustNewConstMetric(c.age, prometheus.GaugeValue, v, kind)
	}
	return nil
}
