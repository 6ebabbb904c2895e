// Package channel holds the senders of notifications: email over SMTP, SMS
// through Twilio, Web Push with VAPID. A channel with no sender
// keeps its messages in the development outbox (notify.Captured).
package channel

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/notifications/notify"
)

// SMTP sends email through an SMTP server (net/smtp, a real client).
type SMTP struct {
	Addr    string // host:port
	From    string
	Timeout time.Duration
}

// Send delivers one email. A 5xx answer from the server is permanent; a
// refused connection or a timeout is worth retrying.
func (s SMTP) Send(ctx context.Context, m notify.Message) (string, error) {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return "", fmt.Errorf("smtp dial: %w", err)
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	host, _, _ := net.SplitHostPort(s.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return "", fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	id := messageID(s.From)
	if err := send(c, s.From, m, id); err != nil {
		if strings.HasPrefix(err.Error(), "5") {
			return "", fmt.Errorf("%w: %v", notify.ErrPermanent, err)
		}
		return "", fmt.Errorf("smtp: %w", err)
	}
	return id, c.Quit()
}

func send(c *smtp.Client, from string, m notify.Message, id string) error {
	// The envelope wants the bare address; the header keeps the name.
	envelope := from
	if a, err := mail.ParseAddress(from); err == nil {
		envelope = a.Address
	}
	if err := c.Mail(envelope); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(Compose(from, m, id)); err != nil {
		return err
	}
	return w.Close()
}

// Compose builds the RFC 5322 message: plain text, plus HTML as an
// alternative when the template has one.
func Compose(from string, m notify.Message, id string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n",
		from, m.To, mime.QEncoding.Encode("utf-8", m.Subject), id)
	if m.BodyHTML == "" {
		fmt.Fprintf(&b, "Content-Type: text/plain; charset=utf-8\r\n\r\n%s", crlf(m.BodyText))
		return b.Bytes()
	}
	const boundary = "myshop-alternative"
	fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=%s\r\n\r\n", boundary)
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", boundary, crlf(m.BodyText))
	fmt.Fprintf(&b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n%s\r\n--%s--\r\n", boundary, crlf(m.BodyHTML), boundary)
	return b.Bytes()
}

func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func messageID(from string) string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	domain := "myshop.local"
	if i := strings.LastIndexByte(from, '@'); i >= 0 {
		domain = strings.Trim(from[i+1:], "> ")
	}
	return "<" + hex.EncodeToString(b) + "@" + domain + ">"
}
