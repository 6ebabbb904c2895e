// Package smtptest runs a real SMTP server inside a test process and keeps
// what it receives, so tests read the mail a real SMTP client sent.
package smtptest

import (
	"io"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Server is a real SMTP server, in the test process, that keeps what it
// receives. Addresses at refused.example are rejected with 550.
type Server struct {
	Addr string
	mu   sync.Mutex
	mail []Mail
}

// Mail is one message as received.
type Mail struct {
	From, To string
	Data     string
}

// New starts a server until the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	ms := &Server{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{server: ms}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ms.Addr = ln.Addr().String()
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	t.Cleanup(func() { srv.Close() })
	return ms
}

// Received is what arrived so far.
func (m *Server) Received() []Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Mail(nil), m.mail...)
}

type session struct {
	server   *Server
	from, to string
}

func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasSuffix(to, "@refused.example") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	}
	s.to = to
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.server.mu.Lock()
	s.server.mail = append(s.server.mail, Mail{From: s.from, To: s.to, Data: string(b)})
	s.server.mu.Unlock()
	return nil
}
