package gateway

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/supergraph"
)

// TestPlanCacheSharesNormalizedOperations: literals become variables and
// formatting is normalized, so these requests share one plan.
func TestPlanCacheSharesNormalizedOperations(t *testing.T) {
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, err := New(ctx, sg, OptionsFrom(devConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`{ user(id: "u1") { name } }`,
		`{user(id:"u2"){name}}`,
		`query($id: ID!) { user(id: $id) { name } }`,
	} {
		if _, err := e.Prepare(Request{Query: q, Variables: []byte(`{"id":"u3"}`)}); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n := e.plans.len(); n != 1 {
		t.Fatalf("%d plans cached, want 1", n)
	}
}

// devConfig is the router's defaults with introspection on.
func devConfig() config.Config {
	c := config.Defaults()
	on := true
	c.Introspection = &on
	return c
}

// countingObserver counts planning failures; the rest is not looked at.
type countingObserver struct{ planningFailed atomic.Int64 }

func (o *countingObserver) SubgraphFetch(string, time.Duration, string) {}
func (o *countingObserver) BreakerState(string, bool)                   {}
func (o *countingObserver) Retry(string)                                {}
func (o *countingObserver) Prepared(bool)                               {}
func (o *countingObserver) PlanningFailed()                             { o.planningFailed.Add(1) }

// TestPlanningFailureIsAnsweredLoggedAndCountedOnce: an operation the
// planner cannot plan gets QUERY_PLANNING_FAILED with its hash, and however
// often it is sent, one log line with that hash and one count.
func TestPlanningFailureIsAnsweredLoggedAndCountedOnce(t *testing.T) {
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		t.Fatal(err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs bytes.Buffer
	obs := &countingObserver{}
	opts := OptionsFrom(devConfig())
	opts.Traffic.Observer = obs
	e, err := New(ctx, sg, opts, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	// No data sources: a valid operation that nothing can answer.
	e.planConfig.DataSources = nil
	var first string
	for range 3 {
		_, err := e.Prepare(Request{Query: `{ user(id: "u1") { name } }`})
		var re *RequestError
		if !errors.As(err, &re) || re.Code != CodeQueryPlanningFailed {
			t.Fatalf("err = %v, want %s", err, CodeQueryPlanningFailed)
		}
		if first == "" {
			first = re.Message
		} else if re.Message != first {
			t.Fatalf("answers differ: %q vs %q", re.Message, first)
		}
	}
	if n := strings.Count(logs.String(), "query planning failed"); n != 1 {
		t.Fatalf("logged %d times, want once:\n%s", n, logs.String())
	}
	hash := strings.TrimSuffix(first[strings.Index(first, "operation hash ")+len("operation hash "):], "); the failure is logged")
	if !strings.Contains(logs.String(), "operation_hash="+hash) {
		t.Fatalf("log line lacks the answer's hash %s:\n%s", hash, logs.String())
	}
	if n := obs.planningFailed.Load(); n != 1 {
		t.Fatalf("counted %d times, want once", n)
	}
}
