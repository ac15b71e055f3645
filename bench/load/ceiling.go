package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// measureCeiling serves a tiny JSON answer from a bare net/http handler on
// loopback and loads it the same way, to show what the machine can do at all.
func measureCeiling(ctx context.Context, concurrency int, d time.Duration) result {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{FirstError: err.Error()}
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":"abcdefghijklmnop","name":"Bench User","email":"bench@example.com"}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	url := fmt.Sprintf("http://%s/api/v1/users", ln.Addr())
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: concurrency * 2}}
	body := `{"name":"Bench User","email":"bench@example.com"}`
	return runLoad(ctx, concurrency, d, 0, func(ctx context.Context, i int64) error {
		_, err := do(ctx, client, http.MethodPost, url, "", body, http.StatusCreated)
		return err
	})
}
