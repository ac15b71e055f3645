package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// result summarises one measured run.
type result struct {
	Ops        int64   `json:"ops"`
	Errors     int64   `json:"errors"`
	Seconds    float64 `json:"seconds"`
	Throughput float64 `json:"throughputPerSec"`
	P50ms      float64 `json:"p50ms"`
	P90ms      float64 `json:"p90ms"`
	P99ms      float64 `json:"p99ms"`
	MaxMs      float64 `json:"maxMs"`
	FirstError string  `json:"firstError,omitempty"`
	Note       string  `json:"note,omitempty"`
}

func (r result) print(label string) {
	fmt.Printf("%-13s %8d ops %6d errors in %6.2fs = %9.1f/s  p50 %7.2fms  p90 %7.2fms  p99 %7.2fms  max %8.2fms\n",
		label, r.Ops, r.Errors, r.Seconds, r.Throughput, r.P50ms, r.P90ms, r.P99ms, r.MaxMs)
	if r.FirstError != "" {
		fmt.Printf("%-13s first error: %s\n", "", r.FirstError)
	}
	if r.Note != "" {
		fmt.Printf("%-13s %s\n", "", r.Note)
	}
}

// runLoad calls op from `concurrency` goroutines until duration passes or
// count operations were started, and measures each call.
func runLoad(ctx context.Context, concurrency int, duration time.Duration, count int, op func(ctx context.Context, i int64) error) result {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	var (
		next     atomic.Int64
		errs     atomic.Int64
		mu       sync.Mutex
		lat      []time.Duration
		firstErr string
		wg       sync.WaitGroup
	)
	start := time.Now()
	for range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			for ctx.Err() == nil {
				i := next.Add(1)
				if count > 0 && i > int64(count) {
					break
				}
				t := time.Now()
				err := op(ctx, i)
				if ctx.Err() != nil && err != nil {
					break // cut off by the deadline: not an error of the server
				}
				local = append(local, time.Since(t))
				if err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						firstErr = err.Error()
						mu.Unlock()
					}
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	return summarize(lat, errs.Load(), elapsed, firstErr)
}

func summarize(lat []time.Duration, errs int64, elapsed time.Duration, firstErr string) result {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	pct := func(p float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)-1))
		return float64(lat[i].Microseconds()) / 1000
	}
	r := result{Ops: int64(len(lat)), Errors: errs, Seconds: elapsed.Seconds(), FirstError: firstErr,
		P50ms: pct(0.50), P90ms: pct(0.90), P99ms: pct(0.99), MaxMs: pct(1)}
	if elapsed > 0 {
		r.Throughput = float64(r.Ops-errs) / elapsed.Seconds()
	}
	return r
}
