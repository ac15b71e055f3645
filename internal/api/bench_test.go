package api_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
	"github.com/rosterhq/roster/internal/db"
	"github.com/rosterhq/roster/internal/db/dbtest"
)

// BenchmarkCreateUser measures POST /api/v1/users (no password) over real
// loopback HTTP on each engine, with 32 concurrent clients:
//
//	go test -run '^$' -bench CreateUser -benchtime 5000x ./internal/api/
func BenchmarkCreateUser(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			s := apptest.Start(b, dialect)
			tenant := s.Tenant(b)
			var seq atomic.Int64
			parallelRequests(b, "creates/s", http.StatusCreated, func() *http.Request {
				n := seq.Add(1)
				body := fmt.Sprintf(`{"name":"Bench User %d","email":"bench%d@example.com","timezone":"Europe/London"}`, n, n)
				return postJSON(s.URL+"/api/v1/users", tenant.Key, body)
			})
		})
	}
}

// BenchmarkListUsers measures GET /api/v1/users?limit=20 on a workspace of
// 1,000 users over real loopback HTTP, 32 concurrent clients:
//
//	go test -run '^$' -bench ListUsers ./internal/api/
func BenchmarkListUsers(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			s := apptest.Start(b, dialect)
			tenant := s.Tenant(b)
			users := make([]map[string]any, 1000)
			for i := range users {
				users[i] = map[string]any{"name": fmt.Sprintf("User %04d", i), "email": fmt.Sprintf("u%d@example.com", i),
					"customAttributes": map[string]any{"department": "R&D"}}
			}
			tenant.Call(b, http.MethodPost, "/api/v1/users/bulk", map[string]any{"users": users}).Expect(b, http.StatusOK)
			if dialect == db.Postgres {
				// Steady state: the server's analyze loop (or autovacuum)
				// would have refreshed the statistics within a minute.
				if _, err := s.App.DB.Write().Exec(`ANALYZE users`); err != nil {
					b.Fatal(err)
				}
			}
			parallelRequests(b, "lists/s", http.StatusOK, func() *http.Request {
				req, _ := http.NewRequest(http.MethodGet, s.URL+"/api/v1/users?limit=20", nil)
				req.Header.Set("X-API-KEY", tenant.Key)
				return req
			})
		})
	}
}

// parallelRequests sends b.N requests from 32 concurrent clients (16 per
// core on 2 cores) and reports the rate as metric.
func parallelRequests(b *testing.B, metric string, want int, next func() *http.Request) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()
	b.SetParallelism(16)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Do(next())
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != want {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), metric)
}

// BenchmarkBulkImport measures POST /api/v1/users/bulk with 1,000 new users
// per call (with custom attributes, like bench/load's users.bulk_import) and
// 4 calls in flight, over real loopback HTTP on each engine; one op is one
// call:
//
//	go test -run '^$' -bench BulkImport -benchtime 20x ./internal/api/
func BenchmarkBulkImport(b *testing.B) {
	for _, dialect := range dbtest.Dialects {
		b.Run(string(dialect), func(b *testing.B) {
			s := apptest.Start(b, dialect)
			tenant := s.Tenant(b)
			calls := make(chan string, b.N)
			for i := range b.N {
				calls <- bulkBody(int64(i))
			}
			close(calls)
			client := &http.Client{}
			b.ResetTimer()
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					for body := range calls {
						resp, err := client.Do(postJSON(s.URL+"/api/v1/users/bulk", tenant.Key, body))
						if err != nil {
							b.Error(err)
							return
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							b.Errorf("status %d", resp.StatusCode)
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "users/s")
		})
	}
}

// postJSON is a POST of a JSON body with an API key.
func postJSON(url, key, body string) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-API-KEY", key)
	return req
}

// bulkBody is a bulk call of 1,000 new users, numbered by call.
func bulkBody(call int64) string {
	var sb strings.Builder
	sb.WriteString(`{"users":[`)
	for j := range int64(1000) {
		if j > 0 {
			sb.WriteByte(',')
		}
		n := call*1000 + j
		fmt.Fprintf(&sb, `{"name":"Bulk User %d","email":"bulk-%d@example.com","customAttributes":{"department":"D%d"}}`, n, n, n%10)
	}
	sb.WriteString(`]}`)
	return sb.String()
}
