package upstream_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/trace"

	"github.com/myshop/supergraph/subgraphs/orders/upstream"
)

// TestCallsCarryTheTrace: a call orders makes to another subgraph for a
// traced request (here a caller's remote span, with the default no-op
// provider as with exporter "none") carries the caller's trace id, so the
// trace continues through orders; the token fetch too.
func TestCallsCarryTheTrace(t *testing.T) {
	t.Parallel()
	seen := make(chan string, 2)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("Traceparent")
		if strings.HasSuffix(r.URL.Path, "/token") {
			_, _ = w.Write([]byte(`{"access_token": "tok", "expires_in": 300}`))
			return
		}
		_, _ = w.Write([]byte(`{"data": {"_entities": []}}`))
	}))
	defer srv.Close()
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	ctx := trace.ContextWithRemoteSpanContext(context.Background(),
		trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true}))

	if _, err := upstream.NewProducts(upstream.NewClient(srv.URL+"/graphql", nil)).Variants(ctx, "default", []string{"var_1"}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; !strings.HasPrefix(got, "00-"+tid.String()+"-") {
		t.Fatalf("products call traceparent %q, want trace %s", got, tid)
	}
	tokens := &upstream.ClientCredentials{URL: srv.URL + "/token", ClientID: "orders", ClientSecret: "s"}
	if _, err := tokens.Token(ctx); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; !strings.HasPrefix(got, "00-"+tid.String()+"-") {
		t.Fatalf("token fetch traceparent %q, want trace %s", got, tid)
	}
}
