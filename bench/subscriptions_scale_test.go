package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/router/config"
	"github.com/myshop/supergraph/subgraphs/orders/live"
	"github.com/myshop/supergraph/subgraphs/platform/redistest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// Issue #8's scale figures for live order tracking at the router.
//
// The WebSocket clients run in a child process (this test binary again,
// TestSubscriptionScaleClients, driven over stdin/stdout), so that the
// benchmark process holds only the router and the subgraphs: its heap,
// goroutines and RSS deltas are what the router (and the orders subgraph
// answering the snapshots) keeps per subscription, with no client-side
// cost mixed in, and each process has its own file descriptor limit.
//
// Status changes are published straight to Redis, in the orders subgraph's
// event shape on its channels (live.EventOf), for orders inserted with SQL (the router
// reads each order as the subscriber when it subscribes, so they exist and
// belong to the token's user). Each message's `at` is the publisher's clock
// when it sent it; the client takes event-to-client latency as its clock
// on arrival minus that (one machine, one clock). The subscription selects
// only event fields and order { id }, so no event costs a subgraph fetch:
// this measures the router's fan-out, not the entity reads (those are in
// BenchmarkOrderStatusFanOut).
//
//	go test -run '^$' -bench SubscriptionScale -v ./bench/
//	BENCH_SUBS=50000 BENCH_SUBS_PER_CONN=4 BENCH_FANOUT_ONE=10000 go test -run '^$' -bench SubscriptionScale -v -timeout 30m ./bench/

// scaleOrder is an order the clients watch, with its owner.
type scaleOrder struct {
	ID    string `json:"id"`
	User  string `json:"user"`
	Token int    `json:"token"` // index into scaleClientConfig.Tokens
}

// scaleClientConfig tells the client process what to open.
type scaleClientConfig struct {
	URL    string       `json:"url"`
	N      int          `json:"n"` // subscriptions, PerConn per connection; the c-th connection's watch Orders[c%len(Orders)]
	// PerConn is how many subscriptions share a connection (0: one).
	PerConn int `json:"perConn"`
	Tokens []string     `json:"tokens"`
	Orders []scaleOrder `json:"orders"`
	// Stall adds one more connection with this many subscriptions of
	// Orders[0] that never reads after their first events.
	Stall int `json:"stall"`
	// FillOrder, when set, is what each slow connection also watches with
	// big events: publishing to it fills their sockets and nobody else's.
	FillOrder string `json:"fillOrder"`
	// SlowConns adds this many connections with one subscription of
	// Orders[0] each that never read after their first event.
	SlowConns int `json:"slowConns"`
}

// scaleCmd is a command to the client process.
type scaleCmd struct {
	Cmd      string         `json:"cmd"` // reset, report, exit
	Expected int            `json:"expected"`
	Final    map[string]int `json:"final"` // last version published per order
}

// scaleReport is the client process's answer (a line "SCALE {json}").
type scaleReport struct {
	Open        int     `json:"open"`
	Failed      int     `json:"failed"`
	Err         string  `json:"err,omitempty"`
	OpenSeconds float64 `json:"openSeconds"`
	Received    int     `json:"received"`
	P50, P99    float64 // ms
	Max         float64 // ms
	Ended       int     `json:"ended"` // connections or subscriptions the router ended before exit
	Stale       int     `json:"stale"` // subscriptions whose last version is below the last published
	// Skipped are versions a subscriber never saw although a later one
	// came: the router keeps only the newest few undelivered changes per
	// order (status is state), so a delivery that falls behind skips.
	Skipped    int    `json:"skipped"`
	Expected   int    `json:"expected"`
	StallClose int    `json:"stallClose"`
	StallErr   string `json:"stallErr,omitempty"`
}

// BenchmarkSubscriptionScale: BENCH_SUBS (default 2000; the figure
// is 50000) subscriptions held at once, BENCH_SUBS_PER_CONN (default 1) to a
// WebSocket, spread over BENCH_SUBS/2 orders of four demo shoppers (a
// connection's subscriptions watch one order): the router's heap, goroutines
// and RSS per subscription; then 1,000 status events per second over those
// orders for BENCH_SUBS_SECONDS (default 3): event-to-client latency p50
// and p99 and deliveries lost; then one event to BENCH_FANOUT_ONE (default
// 1000; the 10000) subscribers of one order, the time from publish
// to the last delivery, alone and beside 1% of clients that stopped reading.
//
// It fails when its work did not happen: a subscription that did not open,
// a delivery lost, a figure with nothing behind it.
func BenchmarkSubscriptionScale(b *testing.B) {
	n := envInt(b, "BENCH_SUBS", 2000)
	one := envInt(b, "BENCH_FANOUT_ONE", 1000)
	secs := envInt(b, "BENCH_SUBS_SECONDS", 3)
	perConn := envInt(b, "BENCH_SUBS_PER_CONN", 1)
	conns := (n + perConn - 1) / perConn
	// The router holds a socket per connection and so does the clients'
	// process; each also needs a few for Redis, Postgres and subgraphs.
	raiseFileLimit(b, max(conns, one+one/100+1)+1000)
	st, pub, prefix := scaleStack(b, nil)
	tokens, users := scaleUsers(b, st, 4)
	orders := scaleOrders(b, st, users, max(n/2, 1))

	// 1. Held subscriptions.
	before := sampleProcess()
	cl := startScaleClients(b, scaleClientConfig{URL: st.Router.URL, N: n, PerConn: perConn, Tokens: tokens, Orders: orders})
	ready := cl.read()
	b.ReportMetric(float64(ready.Open), "held")
	b.ReportMetric(float64(ready.Failed), "failed")
	if ready.Failed > 0 || ready.Open != n {
		b.Fatalf("%d of %d subscriptions opened, %d failed: %s", ready.Open, n, ready.Failed, ready.Err)
	}
	held := sampleProcess()
	open := float64(ready.Open)
	if path := os.Getenv("BENCH_HEAP_PROFILE"); path != "" {
		writeHeapProfile(b, path)
	}
	b.Logf("held %d subscriptions on %d connections (opened in %.1fs): router process heap %+.1f MiB, goroutines %+d, RSS %+.1f MiB",
		ready.Open, conns, ready.OpenSeconds, float64(held.heap-before.heap)/(1<<20), held.goroutines-before.goroutines, float64(held.rss-before.rss)/(1<<20))
	b.Logf("goroutines per subscription, by what runs them:\n%s", goroutineGroups(max(ready.Open/10, 2)))
	b.ReportMetric(float64(held.heap-before.heap)/1024/open, "heap-KiB/sub")
	b.ReportMetric(float64(held.goroutines-before.goroutines)/open, "goroutines/sub")
	b.ReportMetric(float64(held.rss-before.rss)/1024/open, "rss-KiB/sub")

	// 2. 1,000 events per second spread over the watched orders.
	watchers := map[string]int{}
	for c := range conns {
		watchers[orders[c%len(orders)].ID] += min(perConn, n-c*perConn)
	}
	cl.reset()
	versions := map[string]int{}
	sent, took := publishPaced(b, pub, prefix, orders, versions, 1000, time.Duration(secs)*time.Second)
	expected := 0
	for id, count := range sent {
		expected += count * watchers[id]
	}
	cl.send(scaleCmd{Cmd: "report", Expected: expected, Final: versions})
	r := cl.read()
	cl.close()
	// What the router still holds once the clients are gone (a leak shows
	// here; idle keep-alive connections to the subgraphs, three goroutines
	// each, opened for the snapshots, are expected): sampled until the
	// count stops falling, for up to 5s.
	left := sampleProcess()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		now := sampleProcess()
		if now.goroutines >= left.goroutines {
			break
		}
		left = now
	}
	b.Logf("after the clients left: goroutines %+d, heap %+.1f MiB against before they came; groups of 10 or more:\n%s",
		left.goroutines-before.goroutines, float64(left.heap-before.heap)/(1<<20), goroutineGroups(10))
	b.Logf("%d events in %.2fs (%.0f/s) → %d of %d deliveries (%d superseded); latency p50 %.1f ms, p99 %.1f ms, max %.1f ms; %d connections ended, %d subscriptions stale",
		sumValues(sent), took.Seconds(), float64(sumValues(sent))/took.Seconds(), r.Received, expected, r.Skipped, r.P50, r.P99, r.Max, r.Ended, r.Stale)
	b.ReportMetric(r.P50, "p50-ms")
	b.ReportMetric(r.P99, "p99-ms")
	b.ReportMetric(float64(expected-r.Received), "lost")
	if r.Received == 0 || r.Received < expected || r.Ended > 0 || r.Stale > 0 {
		b.Errorf("events: %d of %d delivered, %d connections ended, %d subscriptions stale", r.Received, expected, r.Ended, r.Stale)
	}

	// 3. One event, every subscriber of one order, alone and beside 1% of
	// clients that stopped reading.
	fanOut := func(slow int) scaleReport {
		// The stopped clients' sockets are filled first, as a slow
		// reader's are, through an order of the same shopper that only
		// they watch: filling them through orders[0] would leave the
		// others a backlog of 100 events each, and the figure would be
		// how long that takes to drain.
		fill := orders[len(tokens)%len(orders)]
		if slow > 0 && (fill.ID == orders[0].ID || fill.Token != orders[0].Token) {
			b.Fatalf("fan-out beside stopped clients needs more than %d orders", len(tokens))
		}
		cl := startScaleClients(b, scaleClientConfig{URL: st.Router.URL, N: one, Tokens: tokens, Orders: orders[:1], SlowConns: slow, FillOrder: fill.ID})
		ready := cl.read()
		if ready.Failed > 0 || ready.Open != one {
			b.Fatalf("fan-out: %d of %d subscriptions opened, %d failed: %s", ready.Open, one, ready.Failed, ready.Err)
		}
		if slow > 0 {
			publishPaced(b, pub, prefix, []scaleOrder{fill}, versions, 100, time.Second)
		}
		cl.reset()
		sent, _ := publishPaced(b, pub, prefix, orders[:1], versions, 1, time.Second/2)
		cl.send(scaleCmd{Cmd: "report", Expected: sent[orders[0].ID] * ready.Open, Final: versions})
		r := cl.read()
		cl.close()
		r.Open, r.Expected = ready.Open, sent[orders[0].ID]*ready.Open
		if r.Received < r.Expected {
			b.Errorf("fan-out beside %d stopped clients: %d of %d delivered", slow, r.Received, r.Expected)
		}
		return r
	}
	alone := fanOut(0)
	slowed := fanOut(max(1, one/100))
	// A second round of clients gone: a heap that keeps growing round
	// after round is a leak, one that stays is retained capacity.
	time.Sleep(time.Second)
	again := sampleProcess()
	b.Logf("after the fan-out rounds left: goroutines %+d, heap %+.1f MiB against before the first", again.goroutines-before.goroutines, float64(again.heap-before.heap)/(1<<20))
	b.Logf("one event to %d subscribers of one order: last delivery %.1f ms after publish (p50 %.1f ms); beside %d stopped clients: %.1f ms (p50 %.1f ms)",
		alone.Open, alone.Max, alone.P50, max(1, one/100), slowed.Max, slowed.P50)
	b.ReportMetric(alone.Max, "fanout-ms")
	b.ReportMetric(slowed.Max, "fanout-slow-ms")
}

// writeHeapProfile writes what the router process holds while the
// subscriptions are open (go tool pprof -sample_index=inuse_space).
func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatalf("heap profile: %v", err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatalf("heap profile: %v", err)
	}
}

// raiseFileLimit lifts this process's open-file limit to need (the client
// process inherits it), failing with what to do when the hard limit is lower.
func raiseFileLimit(b *testing.B, need int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatalf("read the open-file limit: %v", err)
	}
	if lim.Cur >= uint64(need) {
		return
	}
	if lim.Max < uint64(need) {
		b.Fatalf("%d open files needed, the hard limit is %d: raise it (ulimit -Hn %d as root, or LimitNOFILE)", need, lim.Max, need)
	}
	lim.Cur = uint64(need)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		b.Fatalf("raise the open-file limit to %d: %v", need, err)
	}
}

// BenchmarkSubscriptionStalledClient: 100 subscribers of one order get 100
// events per second for BENCH_SUBS_SECONDS (default 3), first alone, then
// beside a connection that never reads (100 subscriptions of the same order
// and a 4 KiB socket receive buffer, so the router's writes to it block
// within a second: each of its events carries 20 aliased copies of
// occurredAt, so 100 events a second are ~9 MB/s to it, more than the
// kernel's socket buffers, up to 4 MiB, hold for long). Reported: the others' p99 both ways, and how
// the router ended the stalled connection (1013, try again later, after
// the write timeout, lowered here to 1s from 5s so the run stays short).
func BenchmarkSubscriptionStalledClient(b *testing.B) {
	secs := envInt(b, "BENCH_SUBS_SECONDS", 3)
	st, pub, prefix := scaleStack(b, func(c *config.Config) { c.Subscriptions.WriteTimeout = config.Duration(time.Second) })
	tokens, users := scaleUsers(b, st, 1)
	orders := scaleOrders(b, st, users, 1)
	versions := map[string]int{} // versions only go up, across runs too
	run := func(stall int) scaleReport {
		cl := startScaleClients(b, scaleClientConfig{URL: st.Router.URL, N: 100, Tokens: tokens, Orders: orders, Stall: stall})
		ready := cl.read()
		cl.reset()
		sent, _ := publishPaced(b, pub, prefix, orders, versions, 100, time.Duration(secs)*time.Second)
		cl.send(scaleCmd{Cmd: "report", Expected: sent[orders[0].ID] * ready.Open, Final: versions})
		r := cl.read()
		cl.close()
		r.Open, r.Expected = ready.Open, sent[orders[0].ID]*ready.Open
		return r
	}
	alone := run(0)
	stalled := run(100)
	b.Logf("100 readers alone: p50 %.1f ms, p99 %.1f ms, %d of %d delivered (%d skipped, %d stale); beside a stalled connection: p50 %.1f ms, p99 %.1f ms, %d of %d delivered (%d skipped, %d stale); the stalled connection ended: close status %d (%s)",
		alone.P50, alone.P99, alone.Received, alone.Expected, alone.Skipped, alone.Stale,
		stalled.P50, stalled.P99, stalled.Received, stalled.Expected, stalled.Skipped, stalled.Stale, stalled.StallClose, stalled.StallErr)
	b.ReportMetric(alone.P99, "p99-alone-ms")
	b.ReportMetric(stalled.P99, "p99-stalled-ms")
	// The router's timed-out write leaves the stream mid-frame, so the
	// client sees the connection end (EOF), not a close frame: 1 is "ended".
	closed := 0.0
	if stalled.StallErr != "" {
		closed = 1
	} else {
		b.Errorf("the router kept the stalled connection open")
	}
	b.ReportMetric(closed, "stalled-closed")
}

// scaleStack starts a stack whose router listens for order changes under
// a prefix of our own (we publish them there), with no subscription quota
// (a few users hold them all).
func scaleStack(b *testing.B, adjust func(*config.Config)) (*stack.Stack, redisPublisher, string) {
	pub, prefix := redistest.New(b)
	st := stack.Start(b, stack.Options{Router: func(c *config.Config) {
		c.Subscriptions.MaxPerUser, c.Subscriptions.MaxTotal = -1, -1
		c.Subscriptions.ChannelPrefix = prefix
		if adjust != nil {
			adjust(c)
		}
	}})
	return st, func(ctx context.Context, channel string, message []byte) error {
		return pub.Publish(ctx, channel, message).Err()
	}, prefix
}

// redisPublisher publishes one message to a Redis channel.
type redisPublisher func(ctx context.Context, channel string, message []byte) error

// scaleUsers logs in the first k demo shoppers: their tokens and ids.
func scaleUsers(b *testing.B, st *stack.Stack, k int) ([]string, []string) {
	var tokens, ids []string
	for i := 1; i <= k; i++ {
		id := fmt.Sprintf("usr_%04d", i)
		var email string
		if err := st.Subgraphs["users"].Pool.QueryRow(context.Background(), `SELECT email FROM users WHERE id = $1`, id).Scan(&email); err != nil {
			b.Fatal(err)
		}
		tokens = append(tokens, benchLogin(b, st.Router.URL, email, userstore.DemoPassword))
		ids = append(ids, id)
	}
	return tokens, ids
}

// scaleOrders inserts count CONFIRMED orders (version 1, its event
// recorded) spread over users, copying the first seeded order's other
// columns.
func scaleOrders(b *testing.B, st *stack.Stack, users []string, count int) []scaleOrder {
	ctx := context.Background()
	pool := st.Subgraphs["orders"].Pool
	tag, err := pool.Exec(ctx, `
INSERT INTO orders (id, user_id, channel, status, version, currency, total_minor, shipping_address)
SELECT 'ord_scale_' || lpad(g::text, 6, '0'), ($2::text[])[1 + g % cardinality($2::text[])], o.channel, 'CONFIRMED', 1,
       o.currency, o.total_minor, o.shipping_address
FROM generate_series(0, $1 - 1) g, (SELECT * FROM orders ORDER BY id LIMIT 1) o`, count, users)
	if err != nil {
		b.Fatal(err)
	}
	if tag.RowsAffected() != int64(count) {
		// A copy of nothing: the demo world has no order to copy.
		b.Fatalf("inserted %d orders, want %d", tag.RowsAffected(), count)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO order_events (order_id, version, from_status, to_status, actor)
SELECT id, 1, NULL, 'CONFIRMED', user_id FROM orders WHERE id LIKE 'ord_scale_%'`); err != nil {
		b.Fatal(err)
	}
	out := make([]scaleOrder, count)
	for g := range count {
		out[g] = scaleOrder{ID: fmt.Sprintf("ord_scale_%06d", g), User: users[g%len(users)], Token: g % len(users)}
	}
	return out
}

// publishPaced publishes rate events per second for d, round-robin over
// orders (so one order's events are as far apart as they can be), in
// batches every 10ms; versions holds and advances each order's version.
// It returns how many went to each order and how long it took.
func publishPaced(b *testing.B, pub redisPublisher, prefix string, orders []scaleOrder, versions map[string]int, rate int, d time.Duration) (map[string]int, time.Duration) {
	ctx := context.Background()
	const tick = 10 * time.Millisecond
	total := max(1, int(float64(rate)*d.Seconds()))
	perTick := float64(rate) * tick.Seconds()
	sent := map[string]int{}
	start := time.Now()
	next := 0
	for k := 0; next < total; k++ {
		if wait := time.Until(start.Add(time.Duration(k) * tick)); wait > 0 {
			time.Sleep(wait)
		}
		// Events due by the end of this tick (a fractional rate carries over).
		due := min(total, int(float64(k+1)*perTick+0.999999))
		for ; next < due; next++ {
			o := orders[next%len(orders)]
			if versions[o.ID] == 0 {
				versions[o.ID] = 1
			}
			versions[o.ID]++
			msg, _ := json.Marshal(live.EventOf(live.Change{OrderID: o.ID, UserID: o.User, From: "CONFIRMED", To: "PROCESSING",
				Version: versions[o.ID], At: time.Now()}))
			if err := pub(ctx, prefix+"order:"+o.ID, msg); err != nil {
				b.Fatal(err)
			}
			sent[o.ID]++
		}
	}
	return sent, time.Since(start)
}

func sumValues(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}

func envInt(b *testing.B, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s: %q", name, v)
	}
	return n
}

// processSample is what the benchmark process holds: live heap after a
// collection, goroutines, resident memory (signed, for deltas).
type processSample struct {
	heap       int64
	goroutines int
	rss        int64
}

// goroutineGroups lists the goroutine stacks held at least min times, by
// the goroutine's own function and the project frame it waits in, so the
// per-subscription count can be read as "which goroutines".
func goroutineGroups(min int) string {
	var buf strings.Builder
	_ = pprof.Lookup("goroutine").WriteTo(&buf, 1)
	var out strings.Builder
	_, groups, _ := strings.Cut(buf.String(), "\n") // past "goroutine profile: total N"
	for _, block := range strings.Split(groups, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		count, err := strconv.Atoi(strings.Fields(lines[0] + " x")[0])
		if err != nil || count < min {
			continue
		}
		var entry, ours string
		for _, l := range lines[1:] {
			f := strings.Fields(l)
			if len(f) < 3 || f[0] != "#" {
				continue
			}
			entry = f[2]
			if ours == "" && strings.Contains(f[2], "myshop/supergraph") {
				ours = f[2]
			}
		}
		fmt.Fprintf(&out, "  %6d  %s (in %s)\n", count, entry, ours)
	}
	return out.String()
}

func sampleProcess() processSample {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s := processSample{heap: int64(ms.HeapAlloc), goroutines: runtime.NumGoroutine()}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				s.rss = kb * 1024
			}
		}
	}
	return s
}

// scaleClients is a running client process.
type scaleClients struct {
	b      *testing.B
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    *bufio.Scanner
	stderr *strings.Builder
}

func startScaleClients(b *testing.B, cfg scaleClientConfig) *scaleClients {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSubscriptionScaleClients$", "-test.bench=^$", "-test.count=1", "-test.timeout=30m")
	cmd.Env = append(os.Environ(), "BENCH_SCALE_CLIENTS=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	c := &scaleClients{b: b, cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), stderr: &strings.Builder{}}
	cmd.Stderr = &lockedWriter{w: c.stderr}
	c.out.Buffer(make([]byte, 1<<20), 1<<20)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, _ := json.Marshal(cfg)
	if _, err := fmt.Fprintf(stdin, "%s\n", line); err != nil {
		b.Fatal(err)
	}
	return c
}

func (c *scaleClients) send(cmd scaleCmd) {
	line, _ := json.Marshal(cmd)
	if _, err := fmt.Fprintf(c.stdin, "%s\n", line); err != nil {
		c.b.Fatalf("client process: %v\n%s", err, c.stderr)
	}
}

// reset zeroes the clients' counts and waits until they have.
func (c *scaleClients) reset() {
	c.send(scaleCmd{Cmd: "reset"})
	c.read()
}

// read waits for the client process's next report.
func (c *scaleClients) read() scaleReport {
	for c.out.Scan() {
		if rest, ok := strings.CutPrefix(c.out.Text(), "SCALE "); ok {
			var r scaleReport
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				c.b.Fatal(err)
			}
			return r
		}
	}
	c.b.Fatalf("client process ended: %v\n%s", c.out.Err(), c.stderr)
	return scaleReport{}
}

func (c *scaleClients) close() {
	c.send(scaleCmd{Cmd: "exit"})
	_ = c.stdin.Close()
	_ = c.cmd.Wait()
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSubscriptionScaleClients is the client process of the scale
// benchmarks; it does nothing unless they start it.
func TestSubscriptionScaleClients(t *testing.T) {
	if os.Getenv("BENCH_SCALE_CLIENTS") == "" {
		t.Skip("client process of BenchmarkSubscriptionScale")
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 64<<20), 64<<20)
	var cfg scaleClientConfig
	if !in.Scan() || json.Unmarshal(in.Bytes(), &cfg) != nil {
		t.Fatal("no configuration on stdin")
	}
	emit := func(r scaleReport) {
		line, _ := json.Marshal(r)
		fmt.Printf("SCALE %s\n", line)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var exiting atomic.Bool

	var mu sync.Mutex
	var lats []float64
	var ended, skipped atomic.Int64
	type client struct {
		order string
		last  atomic.Int64
		// fresh: no event since the last reset, whose first event may
		// jump any number of versions (another run's, or the snapshot's).
		fresh atomic.Bool
	}
	perConn := max(cfg.PerConn, 1)
	clients := make([]*client, cfg.N)
	var conns []*websocket.Conn
	var open, failed int
	var firstErr string
	started := time.Now()
	// Opened 64 at a time: each costs the router a token check and a
	// snapshot read from orders, and a flood would measure the accept
	// queue, not holding.
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	var openMu sync.Mutex
	for c := range (cfg.N + perConn - 1) / perConn {
		o := cfg.Orders[c%len(cfg.Orders)]
		// The connection's subscriptions are clients[first:first+k],
		// their ids "1" to k.
		first, k := c*perConn, min(perConn, cfg.N-c*perConn)
		for i := range k {
			clients[first+i] = &client{order: o.ID}
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			conn, versions, err := scaleDial(ctx, cfg.URL, cfg.Tokens[o.Token], scaleSubs(k, o.ID, scaleQuery), 0)
			openMu.Lock()
			defer openMu.Unlock()
			if err != nil {
				failed += k
				if firstErr == "" {
					firstErr = err.Error()
				}
				for i := range k {
					clients[first+i] = nil
				}
				return
			}
			conns = append(conns, conn)
			open += k
			for i, v := range versions {
				clients[first+i].last.Store(int64(v))
			}
			go func() {
				for {
					_, msg, err := conn.Read(ctx)
					now := time.Now()
					if err != nil {
						if !exiting.Load() {
							ended.Add(1)
						}
						return
					}
					var m struct {
						ID      string
						Type    string
						Payload struct {
							Data struct {
								OrderStatusChanged struct {
									Version    int
									OccurredAt string
								}
							}
						}
					}
					if json.Unmarshal(msg, &m) != nil {
						continue
					}
					id, err := strconv.Atoi(m.ID)
					if m.Type == "next" && (err != nil || id < 1 || id > k) {
						continue
					}
					if m.Type == "error" {
						ended.Add(1) // the router ended the subscription (too slow, token expired)
						continue
					}
					if m.Type != "next" {
						continue
					}
					ev := m.Payload.Data.OrderStatusChanged
					at, err := time.Parse(time.RFC3339Nano, ev.OccurredAt)
					if err != nil {
						continue
					}
					mu.Lock()
					lats = append(lats, float64(now.Sub(at).Microseconds())/1000)
					mu.Unlock()
					cl := clients[first+id-1]
					if prev := cl.last.Swap(int64(ev.Version)); !cl.fresh.Swap(false) && int64(ev.Version) > prev+1 {
						skipped.Add(int64(ev.Version) - prev - 1)
					}
				}
			}()
		})
	}
	wg.Wait()
	var stalled *websocket.Conn
	if cfg.Stall > 0 {
		// A 4 KiB receive buffer, big events, and no reads after the
		// first ones: the router's writes to it soon block.
		conn, _, err := scaleDial(ctx, cfg.URL, cfg.Tokens[cfg.Orders[0].Token], scaleSubs(cfg.Stall, cfg.Orders[0].ID, bigScaleQuery()), 4096)
		if err != nil {
			t.Fatalf("stalled client: %v", err)
		}
		stalled = conn
	}
	for range cfg.SlowConns {
		subs := scaleSubs(1, cfg.Orders[0].ID, scaleQuery)
		if cfg.FillOrder != "" {
			subs = append(subs, scaleSub{cfg.FillOrder, bigScaleQuery()})
		}
		conn, _, err := scaleDial(ctx, cfg.URL, cfg.Tokens[cfg.Orders[0].Token], subs, 4096)
		if err != nil {
			t.Fatalf("slow client: %v", err)
		}
		defer conn.CloseNow()
	}
	emit(scaleReport{Open: open, Failed: failed, Err: firstErr, OpenSeconds: time.Since(started).Seconds()})

	for in.Scan() {
		var cmd scaleCmd
		if json.Unmarshal(in.Bytes(), &cmd) != nil {
			t.Fatalf("bad command %q", in.Text())
		}
		switch cmd.Cmd {
		case "reset":
			mu.Lock()
			lats = nil
			mu.Unlock()
			skipped.Store(0)
			for _, cl := range clients {
				if cl != nil {
					cl.fresh.Store(true)
				}
			}
			// Acknowledged, so the bench publishes only after it: events
			// delivered before a late reset were wiped from the count and
			// reported lost (20 of 6,000 at 2,000 subscriptions).
			emit(scaleReport{Open: open})
		case "report":
			// Deliveries still on their way get a few seconds; what has
			// not come by then is lost.
			deadline := time.Now().Add(5 * time.Second)
			for {
				mu.Lock()
				got := len(lats)
				mu.Unlock()
				if got >= cmd.Expected || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			mu.Lock()
			sorted := slices.Clone(lats)
			mu.Unlock()
			slices.Sort(sorted)
			r := scaleReport{Open: open, Received: len(sorted), Ended: int(ended.Load()), Skipped: int(skipped.Load())}
			if len(sorted) > 0 {
				r.P50, r.P99, r.Max = sorted[len(sorted)/2], sorted[len(sorted)*99/100], sorted[len(sorted)-1]
			}
			for _, cl := range clients {
				if cl != nil && cl.last.Load() < int64(cmd.Final[cl.order]) {
					r.Stale++
				}
			}
			if stalled != nil {
				// Now read it: what the router had sent, then its close
				// (StallErr stays "" when the router left it open).
				rctx, rcancel := context.WithTimeout(ctx, 10*time.Second)
				for {
					if _, _, err := stalled.Read(rctx); err != nil {
						if rctx.Err() == nil {
							r.StallClose, r.StallErr = int(websocket.CloseStatus(err)), err.Error()
						}
						break
					}
				}
				rcancel()
			}
			emit(r)
		case "exit":
			exiting.Store(true)
			for _, c := range conns {
				_ = c.CloseNow()
			}
			return
		}
	}
}

// scaleQuery is what the clients subscribe to: event fields and the
// order's id, nothing that needs a subgraph fetch per event.
const scaleQuery = `subscription($id: ID!) { orderStatusChanged(orderId: $id) { status previousStatus version occurredAt order { id } } }`

// bigScaleQuery selects 20 aliased copies of occurredAt: events big
// enough that a client that stops reading soon fills its socket.
func bigScaleQuery() string {
	var q strings.Builder
	q.WriteString(`subscription($id: ID!) { orderStatusChanged(orderId: $id) { version`)
	for i := range 20 {
		fmt.Fprintf(&q, " occurredAtCopy%02d: occurredAt", i)
	}
	q.WriteString(" } }")
	return q.String()
}

// scaleSub is one subscription a connection opens: query of OrderID.
type scaleSub struct{ OrderID, Query string }

func scaleSubs(n int, orderID, query string) []scaleSub {
	subs := make([]scaleSub, n)
	for i := range subs {
		subs[i] = scaleSub{orderID, query}
	}
	return subs
}

// scaleDial opens a graphql-transport-ws connection with subs, the i-th
// with id i+1, and waits for each one's first event (the current state);
// rcvbuf > 0 sets the socket's receive buffer.
func scaleDial(ctx context.Context, url, token string, subs []scaleSub, rcvbuf int) (*websocket.Conn, []int, error) {
	dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	opts := &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}}
	if rcvbuf > 0 {
		d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, rcvbuf) })
			if err != nil {
				return err
			}
			return serr
		}}
		opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	c, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(url, "http")+"/graphql", opts)
	if err != nil {
		return nil, nil, err
	}
	write := func(v any) error {
		m, _ := json.Marshal(v)
		return c.Write(dctx, websocket.MessageText, m)
	}
	if err := write(map[string]any{"type": "connection_init", "payload": map[string]any{"Authorization": token}}); err != nil {
		return nil, nil, err
	}
	for i, sub := range subs {
		if err := write(map[string]any{"id": strconv.Itoa(i + 1), "type": "subscribe", "payload": map[string]any{
			"query":     sub.Query,
			"variables": map[string]any{"id": sub.OrderID}}}); err != nil {
			return nil, nil, err
		}
	}
	var versions []int
	for len(versions) < len(subs) {
		_, msg, err := c.Read(dctx)
		if err != nil {
			return nil, nil, err
		}
		var m struct {
			Type    string
			Payload json.RawMessage
		}
		_ = json.Unmarshal(msg, &m)
		switch m.Type {
		case "next":
			var p struct {
				Data struct{ OrderStatusChanged struct{ Version int } }
			}
			_ = json.Unmarshal(m.Payload, &p)
			versions = append(versions, p.Data.OrderStatusChanged.Version)
		case "error", "complete":
			_ = c.CloseNow()
			return nil, nil, fmt.Errorf("subscribe: %s", msg)
		}
	}
	return c, versions, nil
}
