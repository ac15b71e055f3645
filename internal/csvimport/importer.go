package csvimport

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"
)

// Options configure an import.
type Options struct {
	File       string // the CSV file
	URL        string // Roster's base URL, e.g. http://127.0.0.1:8080
	Key        string // API key with users.write
	Map        string // explicit column mapping, "Header=field,…"
	OnExisting string // error, skip or update
	Batch      int    // rows per request, at most 1,000; 0 sizes batches by themselves
	Restart    bool   // ignore saved progress
	Client     *http.Client
	Progress   func(p Progress) // called after every batch (see batchSizer)
	Warn       func(msg string)
}

// Progress is the running state of an import, saved after every batch.
type Progress struct {
	FileHash string `json:"fileHash"`
	RunID    string `json:"runId"`    // names this run's batches in their idempotency keys
	Rows     int    `json:"rows"`     // data rows in the file
	Done     int    `json:"rowsDone"` // data rows sent and answered
	Created  int    `json:"created"`
	Updated  int    `json:"updated"`
	Skipped  int    `json:"skipped"`
	Rejected int    `json:"rejected"`
	// PendingEnd ends the batch sent and not yet answered: batches are sized
	// as the import goes, so a resumed run re-sends exactly that batch.
	PendingEnd int  `json:"pendingEnd,omitempty"`
	Resumed    bool `json:"-"`
}

// StateFile and RejectsFile name the files kept beside the CSV.
func StateFile(csvPath string) string   { return csvPath + ".roster-import.json" }
func RejectsFile(csvPath string) string { return csvPath + ".rejects.csv" }

// Run imports the file. It returns the final progress; an interrupted run
// (error, or a cancelled ctx) can be resumed by calling Run again.
func Run(ctx context.Context, o Options) (Progress, error) {
	if o.OnExisting == "" {
		o.OnExisting = "error"
	}
	if o.Batch < 0 || o.Batch > MaxBatch {
		o.Batch = MaxBatch
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Minute}
	}
	data, err := os.ReadFile(o.File)
	if err != nil {
		return Progress{}, fmt.Errorf("read %s: %w", o.File, err)
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	header, rows, err := readRows(data)
	if err != nil {
		return Progress{}, fmt.Errorf("parse %s: %w", o.File, err)
	}
	mapping, warnings, err := NewMapping(header, o.Map)
	if err != nil {
		return Progress{}, err
	}
	for _, w := range warnings {
		if o.Warn != nil {
			o.Warn(w)
		}
	}
	p := Progress{FileHash: hash, Rows: len(rows), RunID: newRunID()}
	if saved, err := loadState(StateFile(o.File)); err == nil && saved.FileHash == hash && !o.Restart {
		p, p.Resumed = saved, saved.Done > 0
	}
	rejects, err := openRejects(RejectsFile(o.File), header, p.Done == 0)
	if err != nil {
		return p, err
	}
	defer rejects.close()
	if o.Progress != nil {
		o.Progress(p)
	}
	size := newBatchSizer(o.Batch, len(rows))
	for p.Done < len(rows) {
		if err := ctx.Err(); err != nil {
			return p, err
		}
		end := min(p.Done+size.next(), len(rows))
		if p.PendingEnd > p.Done {
			// The batch an interrupted run had sent: the same rows under the
			// same idempotency key, so the server replays what it did.
			end = min(p.PendingEnd, len(rows))
		}
		p.PendingEnd = end
		if err := saveState(StateFile(o.File), p); err != nil {
			return p, err
		}
		started := time.Now()
		if err := o.importBatch(ctx, &p, rows[p.Done:end], mapping, len(header), rejects); err != nil {
			return p, fmt.Errorf("rows %d–%d: %w", p.Done+1, end, err)
		}
		size.took(end-p.Done, time.Since(started))
		p.Done, p.PendingEnd = end, 0
		if err := saveState(StateFile(o.File), p); err != nil {
			return p, err
		}
		if o.Progress != nil {
			o.Progress(p)
		}
	}
	return p, nil
}

// row is one data row of the file: its cells, or why they could not be read.
type row struct {
	record []string
	err    error
}

// readRows splits the file into the header and data rows. A row the CSV
// reader refuses (a stray quote) is kept with its error, to be rejected on
// its own: one bad row never stops the import.
func readRows(data []byte) ([]string, []row, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header: %w", err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var rows []row
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return header, rows, nil
		}
		var pe *csv.ParseError
		if err != nil && !errors.As(err, &pe) {
			return nil, nil, err
		}
		if err != nil {
			err = fmt.Errorf("malformed CSV: %v", pe.Err)
		}
		rows = append(rows, row{record: rec, err: err})
	}
}

// rejected is a row refused locally or by the server, by 1-based data row
// number (row 1 is the first row after the header).
type rejected struct {
	row    int
	record []string
	reason string
}

// importBatch sends the rows that can be sent, counts the results in p and
// writes every rejected row, in row order, to the rejects file.
func (o Options) importBatch(ctx context.Context, p *Progress, batch []row, mapping Mapping, columns int, rejects *rejectsWriter) error {
	var users []map[string]any
	var sent []int // index in batch of each user sent
	var bad []rejected
	for i, r := range batch {
		if reason := localProblem(r, columns); reason != "" {
			bad = append(bad, rejected{p.Done + i + 1, r.record, reason})
			continue
		}
		users = append(users, mapping.User(r.record))
		sent = append(sent, i)
	}
	if len(users) > 0 {
		out, err := o.send(ctx, users, fmt.Sprintf("csv-%s-%d-%d", p.RunID, p.Done, p.Done+len(batch)))
		if err != nil {
			return err
		}
		for _, res := range out.Results {
			if res.Index < 0 || res.Index >= len(sent) {
				return fmt.Errorf("server answered for item %d of %d", res.Index, len(sent))
			}
			switch res.Status {
			case "created":
				p.Created++
			case "updated":
				p.Updated++
			case "skipped":
				p.Skipped++
			default:
				i := sent[res.Index]
				bad = append(bad, rejected{p.Done + i + 1, batch[i].record, res.reason()})
			}
		}
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i].row < bad[j].row })
	for _, b := range bad {
		p.Rejected++
		if err := rejects.write(b.record, b.row, b.reason); err != nil {
			return err
		}
	}
	return rejects.flush()
}

// localProblem is why a row cannot be sent at all: the CSV reader refused
// it, or it has cells beyond the header's columns, which no field would
// receive (they would be dropped silently).
func localProblem(r row, columns int) string {
	if r.err != nil {
		return r.err.Error()
	}
	for i := columns; i < len(r.record); i++ {
		if strings.TrimSpace(r.record[i]) != "" {
			return fmt.Sprintf("%d cells, but the header has %d columns", len(r.record), columns)
		}
	}
	return ""
}

type bulkResult struct {
	Index  int                 `json:"index"`
	Status string              `json:"status"`
	Code   string              `json:"code"`
	Errors map[string][]string `json:"errors"`
}

func (r bulkResult) reason() string {
	var parts []string
	for field, msgs := range r.Errors {
		for _, m := range msgs {
			if field == "" {
				parts = append(parts, m)
			} else {
				parts = append(parts, field+": "+m)
			}
		}
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return r.Code
	}
	return strings.Join(parts, "; ")
}

type bulkOutcome struct {
	Results []bulkResult `json:"results"`
}

// send posts one batch, retrying transient failures. The idempotency key
// makes a retry of a batch the server already applied harmless.
func (o Options) send(ctx context.Context, users []map[string]any, idemKey string) (bulkOutcome, error) {
	body, err := json.Marshal(map[string]any{"users": users, "onExisting": o.OnExisting})
	if err != nil {
		return bulkOutcome{}, err
	}
	var lastErr error
	for attempt := 0; attempt < 6; attempt++ {
		if attempt > 0 {
			wait := time.Duration(1<<attempt) * 250 * time.Millisecond
			select {
			case <-ctx.Done():
				return bulkOutcome{}, ctx.Err()
			case <-time.After(wait):
			}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(o.URL, "/")+"/api/v1/users/bulk", bytes.NewReader(body))
		if err != nil {
			return bulkOutcome{}, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-API-KEY", o.Key)
		req.Header.Set("Idempotency-Key", idemKey)
		resp, err := o.Client.Do(req)
		if err != nil {
			lastErr = err
			continue
		}
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK:
			var out bulkOutcome
			if err := json.Unmarshal(data, &out); err != nil {
				return bulkOutcome{}, fmt.Errorf("decode response: %w", err)
			}
			return out, nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusConflict || resp.StatusCode >= 500:
			lastErr = fmt.Errorf("server answered %d: %s", resp.StatusCode, snippet(data))
		default:
			return bulkOutcome{}, fmt.Errorf("server refused the batch (%d): %s", resp.StatusCode, snippet(data))
		}
	}
	return bulkOutcome{}, fmt.Errorf("giving up after retries: %w", lastErr)
}

func newRunID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func loadState(path string) (Progress, error) {
	var p Progress
	data, err := os.ReadFile(path)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(data, &p)
}

// saveState writes progress atomically, so a crash never leaves it torn.
func saveState(path string, p Progress) error {
	data, _ := json.MarshalIndent(p, "", "  ")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("save progress: %w", err)
	}
	return nil
}

type rejectsWriter struct {
	f *os.File
	w *csv.Writer
}

func openRejects(path string, header []string, fresh bool) (*rejectsWriter, error) {
	flags := os.O_CREATE | os.O_WRONLY | os.O_APPEND
	if fresh {
		flags = os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open rejects file: %w", err)
	}
	rw := &rejectsWriter{f: f, w: csv.NewWriter(f)}
	if fresh {
		if err := rw.w.Write(append([]string{"row", "reason"}, header...)); err != nil {
			f.Close()
			return nil, err
		}
	}
	return rw, nil
}

func (r *rejectsWriter) write(record []string, row int, reason string) error {
	return r.w.Write(append([]string{fmt.Sprint(row), reason}, record...))
}

func (r *rejectsWriter) flush() error {
	r.w.Flush()
	if err := r.w.Error(); err != nil {
		return fmt.Errorf("write rejects: %w", err)
	}
	return r.f.Sync()
}

func (r *rejectsWriter) close() { _ = errors.Join(r.flush(), r.f.Close()) }
