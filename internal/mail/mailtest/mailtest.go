// Package mailtest runs a real SMTP server on loopback for tests and keeps
// what it receives.
package mailtest

import (
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received message.
type Message struct {
	From string
	To   []string
	Data string // the raw RFC 5322 message
	User string // the authenticated user, if any
}

// Parsed returns the message parsed.
func (m Message) Parsed() (*mail.Message, error) { return mail.ReadMessage(strings.NewReader(m.Data)) }

// Server is a running SMTP server.
type Server struct {
	Addr string
	mu   sync.Mutex
	msgs []Message
	// Username and Password are the accepted credentials.
	Username, Password string
}

// Start runs a server until the test ends. It accepts PLAIN auth with
// roster / s3cret and refuses recipients at @refused.example with 550.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{Username: "roster", Password: "s3cret"}
	srv := smtp.NewServer(s)
	srv.AllowInsecureAuth = true
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	go func() { _ = srv.Serve(ln) }()
	tb.Cleanup(func() { srv.Close() })
	return s
}

// URL is the ROSTER_SMTP_URL for this server.
func (s *Server) URL() string {
	return "smtp://" + s.Username + ":" + s.Password + "@" + s.Addr + "?from=Roster%20%3Cnoreply%40example.com%3E&tls=none"
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

// NewSession implements smtp.Backend.
func (s *Server) NewSession(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }

type session struct {
	s   *Server
	cur Message
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if username != x.s.Username || password != x.s.Password {
			return smtp.ErrAuthFailed
		}
		x.cur.User = username
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error { x.cur.From = from; return nil }

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasSuffix(to, "@refused.example") {
		return &smtp.SMTPError{Code: 550, Message: "no such mailbox"}
	}
	x.cur.To = append(x.cur.To, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.cur.Data = string(b)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.cur)
	x.s.mu.Unlock()
	x.cur = Message{User: x.cur.User}
	return nil
}

func (x *session) Reset()        { x.cur = Message{User: x.cur.User} }
func (x *session) Logout() error { return nil }
