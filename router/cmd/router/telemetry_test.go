package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/router/compose"
)

// The router binary as it runs: a client's traceparent reaches the
// subgraph with the same trace id, under a span of the router's (exporter
// stdout, so the router's spans are recorded and printed).
func TestRouterPropagatesTraceparent(t *testing.T) {
	seen := make(chan string, 4)
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case seen <- r.Header.Get("Traceparent"):
		default:
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"data":{"hello":"world"}}`)) //nolint:errcheck // test server
	}))
	defer sub.Close()
	sdl, err := compose.Compose([]compose.Subgraph{{Name: "greetings", URL: sub.URL, SDL: `type Query { hello: String! }`}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sgPath := filepath.Join(dir, "supergraph.graphql")
	if err := os.WriteFile(sgPath, []byte(sdl), 0o644); err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "router.yaml")
	if err := os.WriteFile(cfgPath, []byte("telemetry:\n  tracing:\n    exporter: stdout\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // run listens itself; a lost race on the port fails below, visibly
	env := map[string]string{"ROUTER_CONFIG": cfgPath, "ROUTER_SUPERGRAPH": sgPath, "ROUTER_LISTEN_ADDR": addr, "ROUTER_SUPERGRAPH_POLL": "0"}
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, func(k string) string { return env[k] }, &out) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("run: %v", err)
			}
		}
	}
	defer stop()

	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	var res *http.Response
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/graphql", strings.NewReader(`{"query":"{ hello }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
		res, err = http.DefaultClient.Do(req)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("router did not answer: %v\n%s", err, out.String())
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	select {
	case got := <-seen:
		if !strings.HasPrefix(got, "00-"+traceID+"-") || strings.Contains(got, "00f067aa0ba902b7") {
			t.Fatalf("subgraph got traceparent %q, want trace %s under a router span", got, traceID)
		}
	default:
		t.Fatal("the subgraph was not called")
	}
	// Stopping flushes the exporter: the router's own spans of the trace.
	stop()
	if !strings.Contains(out.String(), traceID) {
		t.Errorf("the stdout exporter printed no span of trace %s:\n%s", traceID, out.String())
	}
}

// syncBuffer is a bytes.Buffer the router's logger and exporter may write
// to while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
