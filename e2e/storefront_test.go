package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/subgraph"
)

// StorefrontQuery is the spine's acceptance query: three subgraph hops.
const StorefrontQuery = `{ products(first: 5) { edges { node { id name price { amount currencyCode } reviews(first: 3) { edges { node { rating author { id name } } } } } } } }`

func post(t *testing.T, url, contentType, accept, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/graphql", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

func query(t *testing.T, url, q string, vars map[string]any) gqltest.Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	status, _, b := post(t, url, "application/json", "application/json", string(body))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	var r gqltest.Response
	gqltest.Decode(t, b, &r)
	return r
}

func TestStorefrontQuery(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{LoaderWait: subgraph.DefaultLoaderWait})
	body, _ := json.Marshal(map[string]any{"query": StorefrontQuery})
	status, header, b := post(t, st.Router.URL, "application/json", "application/json", string(body))
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, b)
	}
	var resp gqltest.Response
	gqltest.Decode(t, b, &resp)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	// A CDN may keep the anonymous storefront read: the products list's 60 s
	// is the shortest of its fields' @cacheControl hints.
	if cc := header.Get("Cache-Control"); cc != "max-age=60, public" {
		t.Errorf("Cache-Control %q, want max-age=60, public", cc)
	}
	// Byte for byte, after compacting: keys must come in the query's order.
	var want bytes.Buffer
	if err := json.Compact(&want, []byte(storefrontWant)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.Data, want.Bytes()) {
		t.Fatalf("data differs\n got: %s\nwant: %s", resp.Data, want.Bytes())
	}
	if n := st.Subgraphs["users"].Requests(); n != 1 {
		t.Errorf("users subgraph got %d requests for all authors, want 1", n)
	}
	if n := st.Subgraphs["products"].Requests(); n != 1 {
		t.Errorf("products subgraph got %d requests, want 1", n)
	}
}

// TestStatementsDoNotGrowWithPageSize: no N+1 anywhere along the query.
func TestStatementsDoNotGrowWithPageSize(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{LoaderWait: subgraph.DefaultLoaderWait})
	count := func(n int) (products, users int64) {
		for _, sg := range st.Subgraphs {
			sg.ResetCounts()
		}
		q := strings.Replace(StorefrontQuery, "products(first: 5)", "products(first: $n)", 1)
		resp := query(t, st.Router.URL, "query($n: Int) "+q, map[string]any{"n": n})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		return st.Subgraphs["products"].Statements.Count(), st.Subgraphs["users"].Statements.Count()
	}
	p5, u5 := count(5)
	p50, u50 := count(50)
	t.Logf("SQL statements: page 5: products %d, users %d; page 50: products %d, users %d", p5, u5, p50, u50)
	if p5 != p50 || u5 != u50 {
		t.Fatalf("statements grew with the page: products %d→%d, users %d→%d", p5, p50, u5, u50)
	}
	if p5 != 2 || u5 != 1 {
		t.Fatalf("statements: products %d, users %d; want 2 (products, reviews) and 1 (authors)", p5, u5)
	}
}

func TestBadInputThroughRouter(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	tests := []struct {
		name, body, code string
	}{
		{"malformed JSON", `{"query": "{ products`, "BAD_REQUEST"},
		{"parse error", `{"query": "{ products {"}`, "GRAPHQL_PARSE_FAILED"},
		{"unknown field", `{"query": "{ products { nope } }"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"wrong variable type", `{"query": "query($n: Int) { products(first: $n) { edges { cursor } } }", "variables": {"n": "five"}}`, "BAD_USER_INPUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, accept := range []string{"application/json", "application/graphql-response+json"} {
				status, _, b := post(t, st.Router.URL, "application/json", accept, tt.body)
				if status >= 500 {
					t.Fatalf("accept %s: status %d: %s", accept, status, b)
				}
				var r gqltest.Response
				gqltest.Decode(t, b, &r)
				if len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
					t.Fatalf("accept %s: errors %s, want code %s", accept, b, tt.code)
				}
			}
		})
	}
}

func TestSubgraphDownGivesPartialData(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	st.Subgraphs["users"].Server.Close()
	// Every field on the way to an author's name is non-null, so its null
	// propagates up to the nullable product(id:): b is null, a survives.
	resp := query(t, st.Router.URL, `{ a: product(id: "prd_00001") { id name } b: product(id: "prd_00002") { reviews(first: 1) { edges { node { author { name } } } } } }`, nil)
	if len(resp.Errors) == 0 {
		t.Fatalf("no error with users down: %s", resp.Data)
	}
	gqltest.JSONEq(t, resp.Data, `{"a":{"id":"prd_00001","name":"Deluxe Smart Bulb"},"b":null}`)
	b, _ := json.Marshal(resp.Errors)
	if !bytes.Contains(b, []byte("users")) {
		t.Fatalf("errors do not name the users subgraph: %s", b)
	}
}

// TestStockJoinsTheCatalog: a product's variants carry stock from the
// inventory subgraph, one batched fetch for all of them.
func TestStockJoinsTheCatalog(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{LoaderWait: subgraph.DefaultLoaderWait})
	resp := query(t, st.Router.URL, `{ products(first: 10) { edges { node { variants { id availableQuantity inStock } } } } }`, nil)
	if len(resp.Errors) > 0 {
		t.Fatalf("errors: %+v", resp.Errors)
	}
	var out struct {
		Products struct {
			Edges []struct {
				Node struct {
					Variants []struct {
						ID                string
						AvailableQuantity int
						InStock           bool
					}
				}
			}
		}
	}
	gqltest.Decode(t, resp.Data, &out)
	n := 0
	for _, e := range out.Products.Edges {
		for _, v := range e.Node.Variants {
			n++
			if v.InStock != (v.AvailableQuantity > 0) {
				t.Fatalf("%s: inStock %v with %d available", v.ID, v.InStock, v.AvailableQuantity)
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d variants", n)
	}
	if r, s := st.Subgraphs["inventory"].Requests(), st.Subgraphs["inventory"].Statements.Count(); r != 1 || s != 1 {
		t.Fatalf("inventory: %d requests, %d statements for %d variants; want 1 and 1", r, s, n)
	}
}
