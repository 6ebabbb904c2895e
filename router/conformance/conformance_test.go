package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/myshop/supergraph/platform/auth/authtest"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/router/conformance"
	"github.com/myshop/supergraph/router/server"
)

func scenarios(t *testing.T) []*conformance.Scenario {
	t.Helper()
	all, err := conformance.LoadScenarios("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// TestScenarios runs every case of every scenario against the router
// serving Hive's supergraph.
func TestScenarios(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.Name, func(t *testing.T) { runCases(t, sc, sc.Supergraph) })
	}
}

// TestOurComposer composes each scenario with our composer and compares the
// meaning of the result with Hive's; where they agree, the cases must also
// pass on our supergraph. Known differences are declared in the scenario's
// "ours" section.
func TestOurComposer(t *testing.T) {
	for _, sc := range scenarios(t) {
		t.Run(sc.Name, func(t *testing.T) {
			var in []compose.Subgraph
			for _, s := range sc.Subgraphs {
				in = append(in, compose.Subgraph{Name: s.Name, URL: "http://" + s.Name + ".invalid/graphql", SDL: s.SDL})
			}
			ours, err := compose.Compose(in)
			if err != nil {
				if sc.OurGap == "" {
					t.Fatalf("our composer fails: %v", err)
				}
				t.Skipf("known gap (%s): %v", sc.OurGap, err)
			}
			want, err := conformance.Canonical(sc.Supergraph)
			if err != nil {
				t.Fatal(err)
			}
			got, err := conformance.Canonical(ours)
			if err != nil {
				t.Fatal(err)
			}
			onlyHive, onlyOurs := conformance.Diff(want, got)
			differ := len(onlyHive)+len(onlyOurs) > 0
			diff := fmt.Sprintf("only in Hive's:\n  %s\nonly in ours:\n  %s", strings.Join(onlyHive, "\n  "), strings.Join(onlyOurs, "\n  "))
			switch {
			case differ && sc.OurGap == "":
				t.Fatalf("our supergraph differs from Hive's:\n%s", diff)
			case differ:
				t.Skipf("known gap (%s):\n%s", sc.OurGap, diff)
			case sc.OurGap != "":
				t.Fatalf("declared gap %q no longer shows: remove it from the scenario", sc.OurGap)
			}
			runCases(t, sc, ours)
		})
	}
}

func runCases(t *testing.T, sc *conformance.Scenario, supergraph string) {
	for _, c := range sc.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Deviation != "" {
				t.Logf("known deviation from Apollo: %s", c.Deviation)
			}
			subs := map[string]*conformance.Subgraph{}
			urls := map[string]string{}
			for _, def := range sc.Subgraphs {
				s, err := conformance.NewSubgraph(def.Name, def.SDL, def.Fixtures)
				if err != nil {
					t.Fatal(err)
				}
				srv := httptest.NewServer(s)
				t.Cleanup(srv.Close)
				if contains(c.Down, def.Name) {
					srv.Close()
				}
				subs[def.Name], urls[def.Name] = s, srv.URL
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			issuer := authtest.New(t)
			// Apollo passes subgraph error messages through; so do the scenarios.
			set := config.Defaults()
			set.IncludeSubgraphErrors = true
			set.Introspection = &[]bool{true}[0]
			set.Subgraphs = map[string]config.Subgraph{}
			for name, u := range urls {
				set.Subgraphs[name] = config.Subgraph{URLs: []string{u}}
			}
			h, err := server.New(ctx, server.Config{Supergraph: supergraph, Verifier: issuer.Verifier(), Settings: &set}, slog.New(slog.DiscardHandler))
			if c.LoadError != "" {
				if err == nil || !strings.Contains(err.Error(), c.LoadError) {
					t.Fatalf("loading the supergraph: got error %v, want one containing %q", err, c.LoadError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := json.Marshal(map[string]any{"query": c.Query, "operationName": c.OperationName, "variables": c.Variables})
			r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			switch {
			case c.Auth == nil:
			case c.Auth.Header != "":
				r.Header.Set("Authorization", c.Auth.Header)
			default:
				r.Header.Set("Authorization", "Bearer "+issuer.Token(c.Auth.User, c.Auth.Scopes...))
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			got, _ := io.ReadAll(w.Body)
			status := c.Status
			if status == 0 {
				status = 200
			}
			if w.Code != status {
				t.Errorf("status %d, want %d", w.Code, status)
			}
			if !jsonEqual(got, c.Response) {
				t.Errorf("response\n got: %s\nwant: %s", got, compact(c.Response))
			}
			for name, n := range c.Fetches {
				if got := len(subs[name].Requests()); got != n {
					t.Errorf("subgraph %s got %d requests, want %d", name, got, n)
				}
			}
			for name, wants := range c.Sent {
				for _, want := range wants {
					found := false
					for _, req := range subs[name].Requests() {
						b, _ := json.Marshal(req)
						found = found || strings.Contains(string(b), want)
					}
					if !found {
						t.Errorf("no request to %s contains %q", name, want)
					}
				}
			}
			if t.Failed() {
				for name, s := range subs {
					for _, req := range s.Requests() {
						t.Logf("%s got: %s %v", name, req.Query, req.Variables)
					}
				}
			}
		})
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
