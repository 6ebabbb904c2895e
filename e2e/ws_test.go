package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// wsMessage is a graphql-transport-ws message as the router sends it.
type wsMessage struct {
	ID, Type string
	Payload  json.RawMessage
}

// wsSession is one graphql-transport-ws connection to the router.
type wsSession struct {
	t    *testing.T
	conn *websocket.Conn
}

// dialWS opens a graphql-transport-ws connection to the router at
// routerURL and initialises it with initPayload (connection_ack checked).
func dialWS(t *testing.T, routerURL string, initPayload map[string]any) *wsSession {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(routerURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	s := &wsSession{t: t, conn: conn}
	s.send(map[string]any{"type": "connection_init", "payload": initPayload})
	if m := s.read(); m.Type != "connection_ack" {
		t.Fatalf("init: %s %s", m.Type, m.Payload)
	}
	return s
}

func (s *wsSession) send(v any) {
	s.t.Helper()
	b, _ := json.Marshal(v)
	if err := s.conn.Write(context.Background(), websocket.MessageText, b); err != nil {
		s.t.Fatal(err)
	}
}

// read returns the next message that is not a ping, waiting up to 20 s.
func (s *wsSession) read() wsMessage {
	s.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, b, err := s.conn.Read(ctx)
		cancel()
		if err != nil {
			s.t.Fatalf("read: %v", err)
		}
		var m wsMessage
		if err := json.Unmarshal(b, &m); err != nil {
			s.t.Fatal(err)
		}
		if m.Type != "ping" {
			return m
		}
	}
}
