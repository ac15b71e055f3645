package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

type scenarioFunc func(ctx context.Context, cfg *config) (result, error)

var scenarios = map[string]scenarioFunc{
	"users.create":      usersCreate,
	"users.list":        usersList,
	"users.bulk_import": usersBulkImport,
}

// runID keeps emails unique across runs against the same database.
var runID = time.Now().UnixNano()

func usersCreate(ctx context.Context, cfg *config) (result, error) {
	url := cfg.url + "/api/v1/users"
	return runLoad(ctx, cfg.concurrency, cfg.duration, cfg.count, func(ctx context.Context, i int64) error {
		body := fmt.Sprintf(`{"name":"Load User %d","email":"load-%d-%d@example.com","timezone":"Europe/London"}`, i, runID, i)
		_, err := do(ctx, cfg.client, http.MethodPost, url, cfg.key, body, http.StatusCreated)
		return err
	}), nil
}

func usersList(ctx context.Context, cfg *config) (result, error) {
	// Make sure there is something to list: at least one page of users.
	if err := ensureUsers(ctx, cfg, 100); err != nil {
		return result{}, err
	}
	url := cfg.url + "/api/v1/users?limit=20"
	return runLoad(ctx, cfg.concurrency, cfg.duration, cfg.count, func(ctx context.Context, i int64) error {
		_, err := do(ctx, cfg.client, http.MethodGet, url, cfg.key, "", http.StatusOK)
		return err
	}), nil
}

// usersBulkImport creates -size users (default 100,000) through the bulk
// route, 1,000 per call, with -c calls in flight; one op is one call.
func usersBulkImport(ctx context.Context, cfg *config) (result, error) {
	total := cfg.size
	if total <= 0 {
		total = 100_000
	}
	batches := (total + 999) / 1000
	url := cfg.url + "/api/v1/users/bulk"
	conc := min(cfg.concurrency, 4) // one SQLite writer: more in flight only queues
	start := time.Now()
	res := runLoad(ctx, conc, 10*time.Minute, batches, func(ctx context.Context, i int64) error {
		var b strings.Builder
		b.WriteString(`{"users":[`)
		for j := int64(0); j < 1000; j++ {
			n := (i-1)*1000 + j
			if n >= int64(total) {
				break
			}
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"name":"Bulk User %d","email":"bulk-%d-%d@example.com","customAttributes":{"department":"D%d"}}`, n, runID, n, n%10)
		}
		b.WriteString(`]}`)
		data, err := do(ctx, cfg.client, http.MethodPost, url, cfg.key, b.String(), http.StatusOK)
		if err != nil {
			return err
		}
		var out struct{ Failed int }
		if err := json.Unmarshal(data, &out); err != nil || out.Failed > 0 {
			return fmt.Errorf("batch %d: %d items failed %v", i, out.Failed, err)
		}
		return nil
	})
	res.Note = fmt.Sprintf("%d users in %.2fs = %.0f users/s (%d concurrent calls)", total, time.Since(start).Seconds(),
		float64(total)/time.Since(start).Seconds(), conc)
	return res, nil
}

func ensureUsers(ctx context.Context, cfg *config, n int) error {
	data, err := do(ctx, cfg.client, http.MethodGet, cfg.url+"/api/v1/users?limit=1", cfg.key, "", http.StatusOK)
	if err != nil {
		return err
	}
	var page struct{ TotalCount int }
	_ = json.Unmarshal(data, &page)
	for i := page.TotalCount; i < n; i++ {
		body := fmt.Sprintf(`{"name":"Seed User %d","email":"seed-%d-%d@example.com"}`, i, runID, i)
		if _, err := do(ctx, cfg.client, http.MethodPost, cfg.url+"/api/v1/users", cfg.key, body, http.StatusCreated); err != nil {
			return err
		}
	}
	return nil
}

// do sends one request and checks the status.
func do(ctx context.Context, client *http.Client, method, url, key, body string, want int) ([]byte, error) {
	var rd io.Reader
	if body != "" {
		rd = bytes.NewBufferString(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != want {
		return data, fmt.Errorf("%s %s: status %d: %.200s", method, url, resp.StatusCode, data)
	}
	return data, nil
}
