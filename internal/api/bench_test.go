package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/rosterhq/roster/internal/app/apptest"
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
			tr := &http.Transport{MaxIdleConnsPerHost: 64}
			client := &http.Client{Transport: tr}
			defer tr.CloseIdleConnections()
			var seq atomic.Int64
			b.SetParallelism(16) // 16 × GOMAXPROCS(2) = 32 concurrent clients
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					body := fmt.Sprintf(`{"name":"Bench User %d","email":"bench%d@example.com","timezone":"Europe/London"}`, n, n)
					req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/users", bytes.NewBufferString(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-API-KEY", tenant.Key)
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
	}
}
