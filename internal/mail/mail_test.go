package mail_test

import (
	"context"
	"io"
	"mime"
	"strings"
	"testing"

	"github.com/rosterhq/roster/internal/mail"
	"github.com/rosterhq/roster/internal/mail/mailtest"
)

func TestSendThroughRealSMTPServer(t *testing.T) {
	srv := mailtest.Start(t)
	s, err := mail.New(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), mail.Message{To: []string{"Ada <ada@example.com>"}, Subject: "Willkommen, Ada — 👋",
		Text: "Hello Ada,\nyour courses are ready.", HTML: "<p>Hello <b>Ada</b></p>"})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages received", len(msgs))
	}
	got := msgs[0]
	if got.From != "noreply@example.com" || len(got.To) != 1 || got.To[0] != "ada@example.com" || got.User != "roster" {
		t.Fatalf("envelope: %+v", got)
	}
	msg, err := got.Parsed()
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Willkommen, Ada — 👋" {
		t.Fatalf("subject %q %v", subject, err)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.Contains(msg.Header.Get("Content-Type"), "multipart/alternative") || !strings.Contains(string(body), "your courses are ready.") ||
		!strings.Contains(string(body), "text/html") {
		t.Fatalf("body: %s", body)
	}
}

func TestSendPlainText(t *testing.T) {
	srv := mailtest.Start(t)
	s, _ := mail.New(srv.URL())
	if err := s.Send(context.Background(), mail.Message{To: []string{"a@example.com", "b@example.com"}, Subject: "Hi", Text: "Line one\nLine two"}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 || len(msgs[0].To) != 2 {
		t.Fatalf("messages: %+v", msgs)
	}
	msg, err := msgs[0].Parsed()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(msg.Body)
	if !strings.Contains(string(body), "Line one\r\nLine two") {
		t.Fatalf("body %q", body)
	}
}

func TestSendReportsRefusals(t *testing.T) {
	srv := mailtest.Start(t)
	bad, _ := mail.New(strings.Replace(srv.URL(), "s3cret", "wrong", 1))
	if err := bad.Send(context.Background(), mail.Message{To: []string{"a@example.com"}, Subject: "x", Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("wrong password: %v", err)
	}
	s, _ := mail.New(srv.URL())
	if err := s.Send(context.Background(), mail.Message{To: []string{"x@refused.example"}, Subject: "x", Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "550") {
		t.Fatalf("refused recipient: %v", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"http://x?from=a@b.c", "smtp://?from=a@b.c", "smtp://host", "smtp://host?from=not an address"} {
		if _, err := mail.New(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
