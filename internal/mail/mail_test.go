package mail

import (
	"context"
	"io"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// received is what the test SMTP server accepted.
type received struct {
	from string
	to   []string
	data string
	user string
}

type backend struct {
	mu   sync.Mutex
	msgs []received
}

func (b *backend) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{b: b}, nil }

type session struct {
	b   *backend
	cur received
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "roster" || password != "s3cret" {
			return smtp.ErrAuthFailed
		}
		s.cur.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error { s.cur.from = from; return nil }
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasSuffix(to, "@refused.example") {
		return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, s.cur)
	s.b.mu.Unlock()
	return nil
}
func (s *session) Reset()        { s.cur = received{user: s.cur.user} }
func (s *session) Logout() error { return nil }

func startSMTP(t *testing.T) (*backend, string) {
	t.Helper()
	be := &backend{}
	srv := smtp.NewServer(be)
	srv.AllowInsecureAuth = true
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close() })
	return be, ln.Addr().String()
}

func TestSendThroughRealSMTPServer(t *testing.T) {
	be, addr := startSMTP(t)
	s, err := New("smtp://roster:s3cret@" + addr + "?from=Roster%20%3Cnoreply%40example.com%3E&tls=none")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: []string{"Ada <ada@example.com>"}, Subject: "Willkommen, Ada — 👋",
		Text: "Hello Ada,\nyour courses are ready.", HTML: "<p>Hello <b>Ada</b></p>"})
	if err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	defer be.mu.Unlock()
	if len(be.msgs) != 1 {
		t.Fatalf("%d messages received", len(be.msgs))
	}
	got := be.msgs[0]
	if got.from != "noreply@example.com" || len(got.to) != 1 || got.to[0] != "ada@example.com" || got.user != "roster" {
		t.Fatalf("envelope: %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(got.data))
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

func TestSendReportsRefusals(t *testing.T) {
	_, addr := startSMTP(t)
	bad, _ := New("smtp://roster:wrong@" + addr + "?from=noreply%40example.com&tls=none")
	if err := bad.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "x", Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "authenticate") {
		t.Fatalf("wrong password: %v", err)
	}
	s, _ := New("smtp://roster:s3cret@" + addr + "?from=noreply%40example.com&tls=none")
	if err := s.Send(context.Background(), Message{To: []string{"x@refused.example"}, Subject: "x", Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "550") {
		t.Fatalf("refused recipient: %v", err)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"http://x?from=a@b.c", "smtp://?from=a@b.c", "smtp://host", "smtp://host?from=not an address"} {
		if _, err := New(u); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}
