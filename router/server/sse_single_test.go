package server_test

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSSESingleConnection: graphql-sse's single connection mode: reserve,
// connect, run two operations on the one stream, stop one with DELETE.
func TestSSESingleConnection(t *testing.T) {
	t.Parallel()
	h := newSubsHarness(t)
	token := "Bearer " + h.issuer.Token("usr_ada")
	call := func(method, path, streamToken, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, h.router.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", token)
		req.Header.Set("Content-Type", "application/json")
		if streamToken != "" {
			req.Header.Set("X-GraphQL-Event-Stream-Token", streamToken)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := call(http.MethodGet, "/graphql/stream", "nope", ""); res.StatusCode != 404 {
		t.Fatalf("unknown token: %d", res.StatusCode)
	}
	res := call(http.MethodPut, "/graphql/stream", "", "")
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 || len(b) < 16 {
		t.Fatalf("reserve: %d %q", res.StatusCode, b)
	}
	stream := string(b)
	sres := call(http.MethodGet, "/graphql/stream", stream, "")
	defer sres.Body.Close()
	if sres.StatusCode != 200 || !strings.HasPrefix(sres.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("connect: %d %s", sres.StatusCode, sres.Header.Get("Content-Type"))
	}
	events := make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(sres.Body)
		var ev string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && ev != "":
				events <- ev + " " + strings.TrimPrefix(line, "data: ")
				ev = ""
			}
		}
	}()
	next := func() string {
		t.Helper()
		select {
		case e, ok := <-events:
			if !ok {
				t.Fatal("the stream ended")
			}
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event")
		}
		return ""
	}
	sub := `{"query":"subscription { orderStatusChanged(orderId: \"o1\") { status version } }","extensions":{"operationId":"s1"}}`
	if res := call(http.MethodPost, "/graphql/stream", stream, sub); res.StatusCode != 202 {
		t.Fatalf("subscribe: %d", res.StatusCode)
	}
	if res := call(http.MethodPost, "/graphql/stream", stream, `{"query":"{ __typename }"}`); res.StatusCode != 400 {
		t.Fatalf("operation without an id: %d", res.StatusCode)
	}
	h.live.waitSubs(t, 1)
	h.live.send(t, "next", event("CONFIRMED", 1))
	if e := next(); !strings.HasPrefix(e, `next {"id":"s1","payload":{"data":{"orderStatusChanged":{"status":"CONFIRMED","version":1}}}}`) {
		t.Fatalf("subscription event: %s", e)
	}
	// A query on the same stream: its result, then its complete.
	if res := call(http.MethodPost, "/graphql/stream", stream, `{"query":"{ __typename }","extensions":{"operationId":"q1"}}`); res.StatusCode != 202 {
		t.Fatalf("query: %d", res.StatusCode)
	}
	if e := next(); e != `next {"id":"q1","payload":{"data":{"__typename":"Query"}}}` {
		t.Fatalf("query result: %s", e)
	}
	if e := next(); e != `complete {"id":"q1"}` {
		t.Fatalf("query complete: %s", e)
	}
	// DELETE stops the subscription upstream and completes it.
	if res := call(http.MethodDelete, "/graphql/stream?operationId=s1", stream, ""); res.StatusCode != 200 {
		t.Fatalf("stop: %d", res.StatusCode)
	}
	if e := next(); e != `complete {"id":"s1"}` {
		t.Fatalf("stop: %s", e)
	}
	select {
	case <-h.live.completed:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream subscription outlived DELETE")
	}
	// Another caller cannot use the stream.
	token = "Bearer " + h.issuer.Token("usr_grace")
	if res := call(http.MethodPost, "/graphql/stream", stream, sub); res.StatusCode != 403 {
		t.Fatalf("other caller: %d", res.StatusCode)
	}
}
