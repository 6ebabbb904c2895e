package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/myshop/supergraph/e2e/stack"
)

// deep nests through four subgraphs: products (root) -> inventory
// (ProductVariant.availableQuantity) -> users (Review.author.name), and
// back through products (User.reviews, Review.product) to inventory again;
// payments answers a root field in parallel (reachable only by id; the
// anonymous caller gets null, but the fetch happens).
const deep = `{
  products(first: 3) { edges { node { id name
    variants { sku availableQuantity }
    reviews(first: 3) { edges { node { rating author { name
      reviews(first: 2) { edges { node { product { name variants { availableQuantity } } } } } } } } } } } }
  payment(id: "pay_00000000000000000000000000") { id }
}`

// deepFloor is the same subgraph work without the router: the fetches the
// router's plan makes, sent straight to each subgraph, parallel where the
// plan is, with representations built from the previous level's answers.
// What the router adds on top (parsing, planning from cache, merging,
// rendering, its own hops) is the difference.
var deepFloor = []floorLevel{
	{
		{subgraph: "products", query: func(map[string][]string) string {
			return `{ products(first: 3) { edges { node { id name variants { __typename id sku } reviews(first: 3) { edges { node { rating author { __typename id } } } } } } } }`
		}},
		{subgraph: "payments", query: func(map[string][]string) string {
			return `{ payment(id: "pay_00000000000000000000000000") { id } }`
		}},
	},
	{
		{subgraph: "inventory", query: entities("ProductVariant", "availableQuantity")},
		{subgraph: "users", query: entities("User", "name")},
		{subgraph: "products", query: entities("User", "reviews(first: 2) { edges { node { product { name variants { __typename id } } } } }")},
	},
	{
		{subgraph: "inventory", query: entities("ProductVariant", "availableQuantity")},
	},
}

// BenchmarkFederation measures the storefront query and the deep query
// through the router and against their direct-subgraph floor, each
// serially (p50/p99 latency of one client) and with 16 parallel clients
// (requests/s and p50/p99 under load), each client sending its own named
// operation so the router cannot deduplicate them. It runs twice: with the subgraphs'
// default dataloader window (1ms), and with 5ms, which shows how much the
// windows weigh. Compare ratios within one run only.
func BenchmarkFederation(b *testing.B) {
	for _, wait := range []time.Duration{0, 5 * time.Millisecond} {
		name := "loaderWait=default"
		if wait > 0 {
			name = "loaderWait=" + wait.String()
		}
		st := stack.Start(b, stack.Options{LoaderWait: wait})
		url := func(sg string) string { return st.Subgraphs[sg].Server.URL + "/graphql" }

		// Through the router, each parallel client names its operation
		// (query C<n>): the router deduplicates identical concurrent
		// requests, inbound and to subgraphs (the name reaches the subgraph
		// requests), which would make it look faster than the floor it
		// runs on. The "identical" runs show that effect on its own.
		named := func(query string, client int) string { return fmt.Sprintf("query C%d %s", client, query) }
		storefrontRouter := func(client int) error {
			return post(httpClient, st.Router.URL+"/graphql", named(storefront, client), nil, `"prd_00005"`)
		}
		storefrontDirectFloor := func(int) error {
			return post(httpClient, url("products"), storefrontDirect, nil, `"prd_00005"`)
		}
		deepRouter := func(client int) error {
			return post(httpClient, st.Router.URL+"/graphql", named(deep, client), nil, `"availableQuantity"`, `"name"`, `"payment":null`)
		}
		deepRouterIdentical := func(int) error {
			return post(httpClient, st.Router.URL+"/graphql", deep, nil, `"availableQuantity"`, `"name"`, `"payment":null`)
		}
		deepDirectFloor := func(int) error { return runFloor(httpClient, url, deepFloor) }

		for _, c := range []struct {
			name     string
			do       func(client int) error
			parallel bool
			serial   bool
		}{
			{"storefront/router", storefrontRouter, true, true},
			{"storefront/direct-products", storefrontDirectFloor, true, true},
			{"deep/router", deepRouter, true, true},
			{"deep/router-identical", deepRouterIdentical, true, false},
			{"deep/direct-floor", deepDirectFloor, true, true},
		} {
			if c.serial {
				b.Run(name+"/"+c.name+"/serial", func(b *testing.B) { serial(b, func() error { return c.do(0) }) })
			}
			b.Run(name+"/"+c.name+"/parallel16", func(b *testing.B) { parallel(b, 16, c.do) })
		}
	}
}

var httpClient = &http.Client{Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64}}

// serial sends one request at a time and reports p50 and p99.
func serial(b *testing.B, do func() error) {
	if err := do(); err != nil { // warm caches: plans, connections
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if err := do(); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// parallel keeps clients requests in flight until b.N are done and reports
// requests/s and the latency percentiles under that load.
func parallel(b *testing.B, clients int, do func(client int) error) {
	for c := range clients { // warm: one plan per client's operation
		if err := do(c); err != nil {
			b.Fatal(err)
		}
	}
	var (
		mu   sync.Mutex
		lat  = make([]time.Duration, 0, b.N)
		next = make(chan struct{}, b.N)
		fail error
		wg   sync.WaitGroup
	)
	for range b.N {
		next <- struct{}{}
	}
	close(next)
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/clients+1)
			for range next {
				t := time.Now()
				if err := do(c); err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if fail != nil {
		b.Fatal(fail)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
	reportLatency(b, lat)
}

func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// post sends a GraphQL request and checks the answer has no errors and
// holds every wanted string; the decoded data goes to out when non-nil.
func post(client *http.Client, url, query string, vars map[string]any, want ...string) error {
	_, err := postData(client, url, query, vars, want...)
	return err
}

func postData(client *http.Client, url, query string, vars map[string]any, want ...string) ([]byte, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	resp, err := client.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Contains(out, []byte(`"errors"`)) {
		return nil, fmt.Errorf("%s: status %d: %s", url, resp.StatusCode, out)
	}
	for _, w := range want {
		if !bytes.Contains(out, []byte(w)) {
			return nil, fmt.Errorf("%s: answer lacks %s: %s", url, w, out)
		}
	}
	return out, nil
}

// floorLevel is the fetches of one plan level, sent in parallel; each
// builds its query from the keys (typename -> ids) seen so far.
type floorLevel []floorFetch

type floorFetch struct {
	subgraph string
	query    func(keys map[string][]string) string
}

// entities is an _entities fetch for every id of typename seen in the
// previous level, selecting fields.
func entities(typename, fields string) func(map[string][]string) string {
	return func(keys map[string][]string) string {
		reps := make([]string, len(keys[typename]))
		for i, id := range keys[typename] {
			reps[i] = fmt.Sprintf(`{__typename: %q, id: %q}`, typename, id)
		}
		return fmt.Sprintf(`{ _entities(representations: [%s]) { ... on %s { %s } } }`, strings.Join(reps, ", "), typename, fields)
	}
}

func runFloor(client *http.Client, url func(string) string, levels []floorLevel) error {
	keys := map[string][]string{}
	for _, level := range levels {
		results := make([][]byte, len(level))
		errs := make([]error, len(level))
		var wg sync.WaitGroup
		for i, f := range level {
			q := f.query(keys)
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], errs[i] = postData(client, url(f.subgraph), q, nil)
			}()
		}
		wg.Wait()
		keys = map[string][]string{}
		for i, out := range results {
			if errs[i] != nil {
				return errs[i]
			}
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				return err
			}
			collectKeys(v, keys)
		}
	}
	return nil
}

// collectKeys gathers the distinct ids of every object with a __typename,
// as the router dedups representations.
func collectKeys(v any, keys map[string][]string) {
	switch x := v.(type) {
	case map[string]any:
		if t, ok := x["__typename"].(string); ok {
			if id, ok := x["id"].(string); ok && !slices.Contains(keys[t], id) {
				keys[t] = append(keys[t], id)
			}
		}
		for _, c := range x {
			collectKeys(c, keys)
		}
	case []any:
		for _, c := range x {
			collectKeys(c, keys)
		}
	}
}
