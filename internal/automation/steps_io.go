package automation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rosterhq/roster/internal/mail"
)

// HTTPDoer sends HTTP requests; the runner is given a client guarded against
// private and loopback targets, with timeouts.
type HTTPDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// maxHTTPResponse bounds how much of a response an http.request step keeps.
const maxHTTPResponse = 64 << 10

func (r *Runner) sendEmail(ctx context.Context, in map[string]any) (map[string]any, error) {
	if r.mailer == nil {
		return nil, errors.New("no SMTP server is configured (set ROSTER_SMTP_URL)")
	}
	var to []string
	switch x := in["to"].(type) {
	case string:
		for _, a := range strings.Split(x, ",") {
			if a = strings.TrimSpace(a); a != "" {
				to = append(to, a)
			}
		}
	case []any:
		for _, a := range x {
			to = append(to, fmt.Sprint(a))
		}
	}
	if len(to) == 0 {
		return nil, errors.New("to: no recipient")
	}
	m := mail.Message{To: to, Subject: fmt.Sprint(in["subject"]), Text: fmt.Sprint(in["text"])}
	if html, ok := in["html"].(string); ok {
		m.HTML = html
	}
	// separately: one message per recipient, so nobody sees the others'
	// addresses.
	if sep, _ := in["separately"].(bool); sep {
		for _, addr := range to {
			one := m
			one.To = []string{addr}
			if err := r.mailer.Send(ctx, one); err != nil {
				return nil, fmt.Errorf("to %s: %w", addr, err)
			}
		}
	} else if err := r.mailer.Send(ctx, m); err != nil {
		return nil, err
	}
	return map[string]any{"to": to, "subject": m.Subject, "sentAt": r.now().Unix()}, nil
}

func (r *Runner) request(ctx context.Context, in map[string]any) (map[string]any, error) {
	target, _ := in["url"].(string)
	url, err := r.checkTarget(target)
	if err != nil {
		return nil, err
	}
	method := "GET"
	if m, ok := in["method"].(string); ok && m != "" {
		method = strings.ToUpper(m)
	}
	var body io.Reader
	if b, ok := in["body"]; ok && b != nil {
		if s, ok := b.(string); ok {
			body = strings.NewReader(s)
		} else {
			raw, err := json.Marshal(b)
			if err != nil {
				return nil, fmt.Errorf("body: %w", err)
			}
			body = bytes.NewReader(raw)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h, ok := in["headers"].(map[string]any); ok {
		for k, v := range h {
			req.Header.Set(k, fmt.Sprint(v))
		}
	}
	req.Header.Set("User-Agent", "Roster-Workflow/1")
	resp, err := r.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxHTTPResponse))
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	out := map[string]any{"status": resp.StatusCode, "body": string(raw)}
	var parsed any
	if json.Unmarshal(raw, &parsed) == nil {
		out["json"] = parsed
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s %s answered %d: %.200s", method, url, resp.StatusCode, raw)
	}
	return out, nil
}
