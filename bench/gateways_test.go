package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/myshop/supergraph/router"
	"github.com/myshop/supergraph/router/compose"
	"github.com/myshop/supergraph/router/config"
)

// BenchmarkGateways runs The Guild's gateways benchmark in one process: its
// four subgraphs with fixed data (gateways_subgraphs_test.go), its heavy
// nested query from 50 closed-loop clients, through the router built by
// router.New as `make run` builds it, with request deduplication on (the
// default) and off (traffic.deduplicate: false). For each it reports
// requests per second, p50 and p99, CPU microseconds and allocations per
// request (of the whole process: router, subgraphs and clients), and
// subgraph calls per request; and the direct floor: the same clients
// replaying, straight to the subgraphs, the calls the router made for one
// request, as requests per second and the router's ratio to it.
// BENCH_GATEWAYS_SECONDS sets each run's length (default 3). It fails when
// an answer has errors or differs from the first, checked answer.
func BenchmarkGateways(b *testing.B) {
	secs := envInt(b, "BENCH_GATEWAYS_SECONDS", 3)
	const clients = 50
	subs := newGatewaysSubgraphs()
	var in []compose.Subgraph
	urls := map[string]string{}
	for name, s := range subs {
		srv := s.serve(b)
		urls[name] = srv.URL
		in = append(in, compose.Subgraph{Name: name, URL: srv.URL, SDL: gwSDL[name]})
	}
	sdl, err := compose.Compose(in)
	if err != nil {
		b.Fatal(err)
	}
	calls := func() int64 {
		var n int64
		for _, s := range subs {
			n += s.calls.Load()
		}
		return n
	}
	for _, dedup := range []bool{true, false} {
		name := "dedup-on"
		if !dedup {
			name = "dedup-off"
		}
		b.Run(name, func(b *testing.B) {
			cfg := config.Defaults()
			cfg.Traffic.Deduplicate = &dedup
			cfg.Supergraph.PollInterval = -1
			cfg.Telemetry.MetricsPath = "-"
			cfg.IncludeSubgraphErrors = true // a failing answer says why
			cfg.Subgraphs = map[string]config.Subgraph{}
			for n, u := range urls {
				cfg.Subgraphs[n] = config.Subgraph{URLs: []string{u}}
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			rt, err := router.New(ctx, cfg, router.Options{Supergraph: sdl, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close()
			srv := httptest.NewUnstartedServer(nil)
			srv.Config = rt.HTTPServer(rt)
			srv.Start()
			defer srv.Close()

			body, _ := json.Marshal(map[string]string{"query": gwQuery})
			want := checkedGatewaysAnswer(b, srv.URL, body)
			before := calls()
			r := closedLoop(b, clients, time.Duration(secs)*time.Second, func(c *http.Client) error {
				return postExpect(c, srv.URL+"/graphql", body, want)
			})
			perReq := float64(calls()-before) / float64(r.n)
			b.ReportMetric(r.rps, "rps")
			b.ReportMetric(r.p50, "p50-ms")
			b.ReportMetric(r.p99, "p99-ms")
			b.ReportMetric(r.cpuMicros, "cpu-us/req")
			b.ReportMetric(r.allocs, "allocs/req")
			b.ReportMetric(perReq, "subgraph-calls/req")

			// The floor: the router's own subgraph calls for one request
			// (recorded with deduplication off, so every call is made),
			// replayed by the same clients straight to the subgraphs.
			replay := recordGatewaysCalls(b, subs, urls, sdl)
			floor := closedLoop(b, clients, time.Duration(secs)*time.Second, func(c *http.Client) error {
				for _, call := range replay {
					if err := postExpect(c, call.url, call.body, call.answer); err != nil {
						return err
					}
				}
				return nil
			})
			b.ReportMetric(floor.rps, "floor-rps")
			b.ReportMetric(r.rps/floor.rps, "router/floor-rps")
			b.Logf("%s: %.0f rps (floor %.0f: %.2f×), p50 %.1f ms, p99 %.1f ms, %.0f µs CPU and %.0f allocations per request, %.2f subgraph calls per request (%d replayed for the floor)",
				name, r.rps, floor.rps, r.rps/floor.rps, r.p50, r.p99, r.cpuMicros, r.allocs, perReq, len(replay))
		})
	}
}

// checkedGatewaysAnswer asks once and checks the answer's shape: every
// user with its reviews, the top products with theirs, no errors.
func checkedGatewaysAnswer(b *testing.B, url string, body []byte) []byte {
	resp, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var got struct {
		Data struct {
			Users []struct {
				ID      string
				Reviews []struct {
					Product struct {
						ShippingEstimate *int
						Reviews          []struct {
							Author struct {
								Reviews []struct{ Product struct{ Name string } }
							}
						}
					}
				}
			}
			TopProducts []struct{ Name string }
		}
		Errors []json.RawMessage
	}
	if err := json.Unmarshal(raw, &got); err != nil || len(got.Errors) > 0 || len(got.Data.Users) != gwUsers || len(got.Data.TopProducts) != 5 {
		b.Fatalf("the heavy query: %.500s", raw)
	}
	deepest := got.Data.Users[0].Reviews[0].Product
	if len(got.Data.Users[0].Reviews) != gwReviewsPerUser || deepest.ShippingEstimate == nil || len(deepest.Reviews) == 0 ||
		deepest.Reviews[0].Author.Reviews[0].Product.Name == "" {
		b.Fatalf("the heavy query's nested entities are missing: %.500s", raw)
	}
	return raw
}

type gwCall struct {
	url          string
	body, answer []byte
}

// recordGatewaysCalls runs the query once through a router with
// deduplication off behind recording proxies, and returns each subgraph
// call with its answer.
func recordGatewaysCalls(b *testing.B, subs map[string]*gwSubgraph, urls map[string]string, sdl string) []gwCall {
	var mu sync.Mutex
	var out []gwCall
	cfg := config.Defaults()
	off := false
	cfg.Traffic.Deduplicate = &off
	cfg.Supergraph.PollInterval = -1
	cfg.Subgraphs = map[string]config.Subgraph{}
	for name, u := range urls {
		target := u
		proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			resp, err := http.Post(target, "application/json", bytes.NewReader(body))
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			out = append(out, gwCall{url: target, body: body, answer: answer})
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(answer)
		}))
		defer proxy.Close()
		cfg.Subgraphs[name] = config.Subgraph{URLs: []string{proxy.URL}}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	rt, err := router.New(ctx, cfg, router.Options{Supergraph: sdl, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer rt.Close()
	srv := httptest.NewServer(rt)
	defer srv.Close()
	body, _ := json.Marshal(map[string]string{"query": gwQuery})
	checkedGatewaysAnswer(b, srv.URL, body)
	if len(out) == 0 {
		b.Fatal("the router made no subgraph call")
	}
	return out
}

// postExpect posts body and fails unless the answer is exactly want.
func postExpect(c *http.Client, url string, body, want []byte) error {
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return &unexpected{got: got}
	}
	return nil
}

type unexpected struct{ got []byte }

func (u *unexpected) Error() string {
	return "unexpected answer: " + string(u.got[:min(len(u.got), 300)])
}

type loopResult struct {
	n                 int
	rps, p50, p99     float64
	cpuMicros, allocs float64
}

// closedLoop runs do from n clients for d and measures it; any error fails
// the benchmark.
func closedLoop(b *testing.B, n int, d time.Duration, do func(*http.Client) error) loopResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: n, MaxConnsPerHost: n}}
	defer client.CloseIdleConnections()
	var failed atomic.Pointer[error]
	lat := make([][]time.Duration, n)
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			for time.Now().Before(deadline) && failed.Load() == nil {
				t := time.Now()
				if err := do(client); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				lat[i] = append(lat[i], time.Since(t))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&ms1)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	all := slices.Concat(lat...)
	if len(all) == 0 {
		b.Fatal("no request completed")
	}
	slices.Sort(all)
	ms := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))].Microseconds()) / 1000 }
	return loopResult{n: len(all), rps: float64(len(all)) / elapsed.Seconds(), p50: ms(0.5), p99: ms(0.99),
		cpuMicros: float64(cpu.Microseconds()) / float64(len(all)), allocs: float64(ms1.Mallocs-ms0.Mallocs) / float64(len(all))}
}

// processCPU is the user and system CPU time of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
