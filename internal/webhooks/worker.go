package webhooks

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/events"
	"github.com/rosterhq/roster/internal/outbound"
)

// worker sends deliveries; River runs it.
type worker struct {
	river.WorkerDefaults[deliverArgs]
	s *Service
}

// Timeout bounds one job: the request and the bookkeeping around it.
func (w *worker) Timeout(*river.Job[deliverArgs]) time.Duration { return w.s.JobTimeout() }

// NextRetry returns the time Work chose (the schedule with jitter, or later
// when the receiver asked with Retry-After); if Work could not choose (it
// failed before sending), the schedule's.
func (w *worker) NextRetry(job *river.Job[deliverArgs]) time.Time {
	if v, ok := w.s.nextRetry.LoadAndDelete(job.ID); ok {
		return v.(time.Time)
	}
	return w.s.now().Add(w.s.delay(job.Attempt, 0))
}

// Work sends one attempt of a delivery.
func (w *worker) Work(ctx context.Context, job *river.Job[deliverArgs]) error {
	return w.s.deliver(ctx, job)
}

// target is what one attempt needs, read in one query.
type target struct {
	deliveryID     int64
	eventID        string
	eventType      string
	occurredAt     int64
	testData       sql.NullString
	state          string
	attempts       int
	endpointID     int64
	endpointPublic string
	workspaceID    int64
	kind           string
	url            string
	status         string
	secretEnc      string
	prevSecretEnc  sql.NullString
	prevUntil      sql.NullInt64
	data           sql.NullString
}

func (s *Service) loadTarget(ctx context.Context, id int64) (target, error) {
	var t target
	// The event is joined on its unique id alone (its workspace is compared
	// here): with a second condition the planner may prefer the
	// events_by_workspace index and read a workspace's whole log.
	var eventWorkspace sql.NullInt64
	err := s.db.Read().QueryRowContext(ctx, `SELECT d.id, d.event_id, d.event_type, d.occurred_at, d.test_data, d.state, d.attempts,
		p.id, p.public_id, p.workspace_id, p.kind, p.url, p.status, p.secret_enc, p.prev_secret_enc, p.prev_secret_until,
		e.workspace_id, e.data
		FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id
		LEFT JOIN events e ON e.event_id = d.event_id
		WHERE d.id = $1`, id).Scan(&t.deliveryID, &t.eventID, &t.eventType, &t.occurredAt, &t.testData, &t.state, &t.attempts,
		&t.endpointID, &t.endpointPublic, &t.workspaceID, &t.kind, &t.url, &t.status, &t.secretEnc, &t.prevSecretEnc, &t.prevUntil,
		&eventWorkspace, &t.data)
	if t.testData.Valid || eventWorkspace.Int64 != t.workspaceID {
		t.data = sql.NullString{}
	}
	return t, err
}

// outcome is the result of one request.
type outcome struct {
	at         time.Time
	status     int // 0 when no response arrived
	latency    time.Duration
	err        string
	excerpt    string
	retryAfter time.Duration
	final      bool // no use retrying: a refused target, a secret that cannot be decrypted
}

// verdict classifies an outcome.
type verdict int

const (
	succeeded verdict = iota
	retry             // 5xx, 408, 429, 3xx, timeouts, connection errors
	permanent         // other 4xx, refused target: never retried
	gone              // 410: the receiver unsubscribed
)

func (o outcome) verdict() verdict {
	switch {
	case o.final:
		return permanent
	case o.status >= 200 && o.status < 300:
		return succeeded
	case o.status == http.StatusGone:
		return gone
	case o.status == http.StatusRequestTimeout || o.status == http.StatusTooManyRequests:
		return retry
	case o.status >= 400 && o.status < 500:
		return permanent
	}
	return retry
}

// deliver runs one attempt of a delivery job.
func (s *Service) deliver(ctx context.Context, job *river.Job[deliverArgs]) error {
	t, err := s.loadTarget(ctx, job.Args.DeliveryID)
	if db.IsNoRows(err) {
		return nil // pruned with its endpoint
	}
	if err != nil {
		return fmt.Errorf("load delivery %d: %w", job.Args.DeliveryID, err)
	}
	if t.state != StatePending {
		return nil // finished already (a retried job after a crash, or cancelled)
	}
	isTest := t.testData.Valid
	if t.status != StatusActive && !isTest {
		if err := s.cancel(ctx, t.deliveryID, "endpoint "+t.status); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("endpoint %s is %s", t.endpointPublic, t.status))
	}
	if !isTest && !t.data.Valid {
		if err := s.cancel(ctx, t.deliveryID, "event no longer exists"); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("event %s not found", t.eventID))
	}
	if !s.acquire(ctx, t.endpointID) {
		// The endpoint has PerEndpoint requests in flight on this node: let
		// the worker serve other endpoints and come back, later each time
		// (1 s, 2 s, 4 s … 1 min) so that a stuck receiver's backlog does
		// not churn. Not an attempt.
		var meta struct {
			Snoozes int `json:"snoozes"`
		}
		_ = json.Unmarshal(job.Metadata, &meta)
		d := time.Second << min(meta.Snoozes, 6)
		return river.JobSnooze(min(d, time.Minute) + rand.N(d/2+1))
	}
	o := s.send(ctx, t)
	s.inflight.release(t.endpointID)
	if ctx.Err() != nil {
		// Shutting down (or the job's own deadline): not the receiver's
		// fault; River makes the job available again.
		return ctx.Err()
	}
	return s.record(ctx, job, t, o)
}

// acquire takes an in-flight slot for the endpoint, waiting briefly (a
// burst to one endpoint queues here rather than bouncing through the
// database).
func (s *Service) acquire(ctx context.Context, endpointID int64) bool {
	for deadline := time.Now().Add(100 * time.Millisecond); ; {
		if s.inflight.acquire(endpointID) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// payload builds the exact bytes sent: the Standard Webhooks envelope, or
// the resource itself for a REST hook.
func payload(t target) ([]byte, error) {
	data := t.data.String
	if t.testData.Valid {
		data = t.testData.String
	}
	if t.kind == KindRESTHook {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(data)); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return json.Marshal(struct {
		ID        string          `json:"id"`
		Type      string          `json:"type"`
		Timestamp string          `json:"timestamp"`
		Data      json.RawMessage `json:"data"`
	}{t.eventID, t.eventType, events.Timestamp(time.UnixMilli(t.occurredAt)), json.RawMessage(data)})
}

// signatures returns the webhook-signature value: v1 with the current
// secret, and with the previous one while a rotation is in progress.
func (s *Service) signatures(t target, now time.Time, body []byte) (string, error) {
	secrets := []string{t.secretEnc}
	if t.prevSecretEnc.Valid && t.prevUntil.Valid && now.UnixMilli() < t.prevUntil.Int64 {
		secrets = append(secrets, t.prevSecretEnc.String)
	}
	var sigs []string
	for _, enc := range secrets {
		secret, err := s.o.Cipher.open(enc, t.endpointPublic)
		if err != nil {
			return "", err
		}
		key, err := secretKey(secret)
		if err != nil {
			return "", fmt.Errorf("decode signing secret: %w", err)
		}
		sigs = append(sigs, sign(key, t.eventID, now.Unix(), body))
	}
	return strings.Join(sigs, " "), nil
}

// send makes one request. A request that cannot be built or signed is a
// final failure of its own: retrying cannot help, and the delivery's record
// should say why.
func (s *Service) send(ctx context.Context, t target) outcome {
	now := s.now()
	o := outcome{at: now}
	body, err := payload(t)
	if err != nil {
		o.err, o.final = "cannot build the payload: "+err.Error(), true
		return o
	}
	sig, err := s.signatures(t, now, body)
	if err != nil {
		o.err, o.final = "cannot sign: "+err.Error(), true
		return o
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body))
	if err != nil {
		o.err, o.final = "invalid URL: "+err.Error(), true
		return o
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Roster-Webhooks/"+s.o.Version)
	req.Header.Set("webhook-id", t.eventID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		o.latency = time.Since(start)
		o.err, o.final = describe(err, s.o.Timeout), outbound.IsBlocked(err)
		return o
	}
	raw, _, readErr := outbound.ReadBody(resp.Body)
	resp.Body.Close()
	o.latency = time.Since(start)
	o.status = resp.StatusCode
	o.excerpt = excerpt(raw, 1024)
	if readErr != nil && o.status >= 200 && o.status < 300 {
		// The receiver said yes; a broken body after that does not undo it.
		readErr = nil
	}
	if readErr != nil {
		o.err = "reading the response: " + describe(readErr, s.o.Timeout)
	} else if o.status < 200 || o.status >= 300 {
		o.err = "HTTP " + strconv.Itoa(o.status)
	}
	if o.status == http.StatusTooManyRequests || o.status == http.StatusServiceUnavailable {
		o.retryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
	}
	return o
}

// describe turns a transport error into a short message without the URL
// (which may carry a token).
func describe(err error, timeout time.Duration) string {
	if outbound.IsTimeout(err) {
		return fmt.Sprintf("timed out (limit %s)", timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var b *outbound.BlockedError
	if errors.As(err, &b) {
		return b.Error()
	}
	return err.Error()
}

// excerpt returns at most n bytes of b as valid UTF-8 text without NUL
// bytes (which PostgreSQL's text refuses).
func excerpt(b []byte, n int) string {
	if len(b) > n {
		cut := n // back to the start of the character that n falls in
		for cut > 0 && cut > n-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
			cut--
		}
		b = b[:cut]
	}
	return strings.ReplaceAll(strings.ToValidUTF8(string(b), "\uFFFD"), "\x00", "")
}

// maxRetryAfter caps how far a receiver can push its next attempt.
const maxRetryAfter = 24 * time.Hour

// retryAfter parses a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		d = time.Duration(min(max(n, 0), int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// delay is how long to wait after the attempt-th attempt failed: the
// schedule's next step with jitter, but never sooner than the receiver's
// Retry-After.
func (s *Service) delay(attempt int, retryAfter time.Duration) time.Duration {
	sched := s.o.Schedule
	d := sched[min(max(attempt, 1), len(sched)-1)]
	if s.o.Jitter > 0 && d > 0 {
		d = time.Duration(float64(d) * (1 + s.o.Jitter*(2*rand.Float64()-1)))
	}
	return max(d, retryAfter)
}

// cancel finishes a pending delivery without an attempt.
func (s *Service) cancel(ctx context.Context, id int64, reason string) error {
	now := s.timestamp().UnixMilli()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET state = $1, last_error = $2, next_attempt_at = NULL,
			updated_at = $3, completed_at = $3 WHERE id = $4 AND state = $5`, StateCancelled, reason, now, id, StatePending)
		if err != nil {
			return fmt.Errorf("cancel delivery %d: %w", id, err)
		}
		return nil
	})
}

// result is one attempt's outcome on its way to the database.
type result struct {
	t         target
	o         outcome
	v         verdict
	state     string
	next      sql.NullInt64
	completed sql.NullInt64
	status    sql.NullInt64
	gaveUp    bool
	done      chan error
}

// record writes the attempt and its consequences, then tells River what to
// do with the job. The write joins a batch (see writer): Work returns only
// once it is committed.
func (s *Service) record(_ context.Context, job *river.Job[deliverArgs], t target, o outcome) error {
	r := &result{t: t, o: o, v: o.verdict(), state: StatePending, done: make(chan error, 1)}
	exhausted := r.v == retry && job.Attempt >= job.MaxAttempts
	var nextAt time.Time
	switch {
	case r.v == succeeded:
		r.state = StateSucceeded
	case r.v == retry && !exhausted:
		// Milliseconds, as stored: River's copy and ours agree exactly.
		nextAt = o.at.Add(s.delay(job.Attempt, o.retryAfter)).Truncate(time.Millisecond)
		r.next = sql.NullInt64{Int64: nextAt.UnixMilli(), Valid: true}
	default:
		r.state, r.gaveUp = StateFailed, true
		if exhausted {
			r.o.err += fmt.Sprintf("; gave up after %d attempts", job.Attempt)
		}
	}
	if r.state != StatePending {
		r.completed = sql.NullInt64{Int64: o.at.UnixMilli(), Valid: true}
	}
	if o.status != 0 {
		r.status = sql.NullInt64{Int64: int64(o.status), Valid: true}
	}
	if err := s.writer.write(s, r); err != nil {
		return err
	}
	if s.o.Observe != nil {
		s.o.Observe(r.outcomeName(exhausted), o.latency)
	}
	switch {
	case r.v == succeeded:
		return nil
	case r.v == retry && !exhausted:
		s.nextRetry.Store(job.ID, nextAt)
		return errors.New(r.o.err)
	case r.v == retry:
		return errors.New(r.o.err) // River discards it: attempts exhausted
	default:
		return river.JobCancel(errors.New(r.o.err))
	}
}

// outcomeName is the attempt's outcome as metrics name it.
func (r *result) outcomeName(exhausted bool) string {
	switch {
	case r.v == succeeded:
		return "succeeded"
	case r.v == gone:
		return "gone"
	case r.v == retry && !exhausted:
		return "retrying"
	}
	return "failed"
}

// writer commits results in batches: whatever results queue up while one
// transaction runs go into the next. Under light load a batch is a single
// result and nothing waits; under heavy load one commit serves many
// deliveries, which is what lets SQLite's single writer keep up. A
// goroutine runs only while results are queued.
type writer struct {
	mu      sync.Mutex
	queue   []*result
	running bool
}

// maxBatch bounds one transaction.
const maxBatch = 256

func (w *writer) write(s *Service, r *result) error {
	w.mu.Lock()
	w.queue = append(w.queue, r)
	if !w.running {
		w.running = true
		go w.run(s)
	}
	w.mu.Unlock()
	return <-r.done
}

func (w *writer) run(s *Service) {
	for {
		w.mu.Lock()
		n := min(len(w.queue), maxBatch)
		if n == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		batch := w.queue[:n:n]
		w.queue = w.queue[n:]
		w.mu.Unlock()
		// Results are written whatever happens to the jobs that sent them:
		// the requests were made.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := s.db.InTx(ctx, func(tx *sql.Tx) error { return s.writeResults(ctx, tx, batch) })
		if err != nil && len(batch) > 1 {
			// One bad result must not fail the others: write each alone.
			for _, r := range batch {
				r.done <- s.db.InTx(ctx, func(tx *sql.Tx) error { return s.writeResults(ctx, tx, []*result{r}) })
			}
		} else {
			for _, r := range batch {
				r.done <- err
			}
		}
		cancel()
	}
}

// writeResults records attempts in tx: each delivery's new state and its
// attempt row, then the endpoints' health (once per endpoint for the
// successes, which rarely change anything).
func (s *Service) writeResults(ctx context.Context, tx *sql.Tx, batch []*result) error {
	var written []*result
	var err error
	if s.db.Dialect == db.Postgres && len(batch) > 1 {
		written, err = writeAttemptsPostgres(ctx, tx, batch)
	} else {
		written, err = writeAttempts(ctx, tx, batch)
	}
	if err != nil {
		return err
	}
	// Successes first: an endpoint that answered within this batch is
	// alive, so a failure beside it starts a new failure record rather than
	// extending (and maybe disabling on) the old one.
	healthy := map[int64]int64{} // endpoint → time of a success
	for _, r := range written {
		if r.v == succeeded && !r.t.testData.Valid {
			healthy[r.t.endpointID] = max(healthy[r.t.endpointID], r.o.at.UnixMilli())
		}
	}
	for id, at := range healthy {
		if err := s.updateHealth(ctx, tx, id, succeeded, false, at); err != nil {
			return err
		}
	}
	for _, r := range written {
		if r.v != succeeded && !r.t.testData.Valid { // a test says nothing about health
			if err := s.updateHealth(ctx, tx, r.t.endpointID, r.v, r.gaveUp, r.o.at.UnixMilli()); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeAttempts updates each delivery that is still pending and adds its
// attempt row, a statement each (cheap on SQLite, where statements are
// function calls). It returns the results written.
func writeAttempts(ctx context.Context, tx *sql.Tx, batch []*result) ([]*result, error) {
	written := batch[:0:0]
	for _, r := range batch {
		at := r.o.at.UnixMilli()
		latency := r.o.latency.Milliseconds()
		var attempt int
		err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET state = $1, attempts = attempts + 1, last_status = $2,
			last_latency_ms = $3, last_error = $4, last_response = $5, next_attempt_at = $6, updated_at = $7, completed_at = $8
			WHERE id = $9 AND state = $10 RETURNING attempts`,
			r.state, r.status, latency, r.o.err, r.o.excerpt, r.next, at, r.completed, r.t.deliveryID, StatePending).Scan(&attempt)
		if db.IsNoRows(err) {
			continue // cancelled meanwhile (endpoint deleted)
		}
		if err != nil {
			return nil, fmt.Errorf("record attempt of delivery %d: %w", r.t.deliveryID, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms,
			error, response_excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			r.t.deliveryID, attempt, at, r.status, latency, r.o.err, r.o.excerpt); err != nil {
			return nil, fmt.Errorf("record attempt of delivery %d: %w", r.t.deliveryID, err)
		}
		written = append(written, r)
	}
	return written, nil
}

// writeAttemptsPostgres does what writeAttempts does in two statements for
// the whole batch, with arrays: on PostgreSQL each statement is a round
// trip, and one per delivery made the writer the bottleneck. (d.id = ANY
// repeats the join key so that the planner can look the rows up by primary
// key; QueryExecModeExec plans each batch with its arrays rather than
// caching a generic plan made while the table was small, which scanned it.)
func writeAttemptsPostgres(ctx context.Context, tx *sql.Tx, batch []*result) ([]*result, error) {
	n := len(batch)
	ids, latencies, ats := make([]int64, n), make([]int64, n), make([]int64, n)
	statuses, nexts, completeds := make([]*int64, n), make([]*int64, n), make([]*int64, n)
	states, errs, excerpts := make([]string, n), make([]string, n), make([]string, n)
	byID := make(map[int64]*result, n)
	for i, r := range batch {
		ids[i], latencies[i], ats[i] = r.t.deliveryID, r.o.latency.Milliseconds(), r.o.at.UnixMilli()
		statuses[i], nexts[i], completeds[i] = nullable(r.status), nullable(r.next), nullable(r.completed)
		states[i], errs[i], excerpts[i] = r.state, r.o.err, r.o.excerpt
		byID[r.t.deliveryID] = r
	}
	rows, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries AS d SET state = v.state, attempts = d.attempts + 1,
		last_status = v.status, last_latency_ms = v.latency, last_error = v.err, last_response = v.resp,
		next_attempt_at = v.next, updated_at = v.at, completed_at = v.completed
		FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[])
			AS v(id, state, status, latency, err, resp, next, at, completed)
		WHERE d.id = v.id AND d.id = ANY($1::bigint[]) AND d.state = 'pending'
		RETURNING d.id, d.attempts`, pgx.QueryExecModeExec, ids, states, statuses, latencies, errs, excerpts, nexts, ats, completeds)
	if err != nil {
		return nil, fmt.Errorf("record %d attempts: %w", n, err)
	}
	written := batch[:0:0]
	var aIDs, aNums, aAts, aLat []int64
	var aStatus []*int64
	var aErr, aResp []string
	for rows.Next() {
		var id, attempt int64
		if err := rows.Scan(&id, &attempt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("record %d attempts: %w", n, err)
		}
		r := byID[id]
		if r == nil {
			continue
		}
		written = append(written, r)
		aIDs, aNums, aAts = append(aIDs, id), append(aNums, attempt), append(aAts, r.o.at.UnixMilli())
		aLat, aStatus = append(aLat, r.o.latency.Milliseconds()), append(aStatus, nullable(r.status))
		aErr, aResp = append(aErr, r.o.err), append(aResp, r.o.excerpt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("record %d attempts: %w", n, err)
	}
	if len(written) == 0 {
		return written, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, attempt, attempted_at, status_code, latency_ms,
		error, response_excerpt) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[], $7::text[])`,
		pgx.QueryExecModeExec, aIDs, aNums, aAts, aStatus, aLat, aErr, aResp); err != nil {
		return nil, fmt.Errorf("record %d attempts: %w", len(written), err)
	}
	return written, nil
}

func nullable(v sql.NullInt64) *int64 {
	if !v.Valid {
		return nil
	}
	return &v.Int64
}

// updateHealth keeps the endpoint's failure record and applies the
// disabling policy: an endpoint answering 410 is unsubscribed; one that has
// failed every attempt for DisableAfter, or given up DisableAfterExhausted
// deliveries in a row, is disabled. Each writes webhook_endpoint.disabled.
func (s *Service) updateHealth(ctx context.Context, tx *sql.Tx, endpointID int64, v verdict, gaveUp bool, at int64) error {
	if v == succeeded {
		// Only write when something changes: a hot endpoint succeeds
		// thousands of times a second, and its row would become a lock
		// everyone queues on.
		_, err := tx.ExecContext(ctx, `UPDATE webhook_endpoints SET failing_since = NULL, exhausted_count = 0, last_success_at = $1
			WHERE id = $2 AND (failing_since IS NOT NULL OR exhausted_count <> 0 OR last_success_at IS NULL OR last_success_at < $3)`,
			at, endpointID, at-60_000)
		if err != nil {
			return fmt.Errorf("record endpoint health: %w", err)
		}
		return nil
	}
	if v == gone {
		return s.disable(ctx, tx, endpointID, "the receiver answered 410 Gone", true)
	}
	inc := 0
	if gaveUp {
		inc = 1
	}
	var since sql.NullInt64
	var exhausted int
	var status string
	err := tx.QueryRowContext(ctx, `UPDATE webhook_endpoints SET failing_since = coalesce(failing_since, $1),
		exhausted_count = exhausted_count + $2 WHERE id = $3 RETURNING failing_since, exhausted_count, status`,
		at, inc, endpointID).Scan(&since, &exhausted, &status)
	if err != nil {
		return fmt.Errorf("record endpoint health: %w", err)
	}
	if status != StatusActive {
		return nil
	}
	switch {
	case exhausted >= s.o.DisableAfterExhausted:
		return s.disable(ctx, tx, endpointID, fmt.Sprintf("%d deliveries in a row failed for good", exhausted), false)
	case since.Valid && time.Duration(at-since.Int64)*time.Millisecond >= s.o.DisableAfter:
		return s.disable(ctx, tx, endpointID, fmt.Sprintf("every attempt failed for %s", s.o.DisableAfter), false)
	}
	return nil
}
