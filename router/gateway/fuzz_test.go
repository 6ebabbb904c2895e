package gateway

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"

	"github.com/myshop/supergraph/router/supergraph"
)

// FuzzPrepare: parsing, limits, normalization, validation and planning of
// any document and variables end in an operation or a RequestError the
// client can act on, never a panic.
func FuzzPrepare(f *testing.F) {
	sdl, err := os.ReadFile("../../schema/supergraph.graphql")
	if err != nil {
		f.Fatal(err)
	}
	sg, err := supergraph.Parse(string(sdl))
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	e, err := New(ctx, sg, OptionsFrom(devConfig()), slog.New(slog.DiscardHandler))
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range [][2]string{
		{`{ products(first: 2) { edges { node { id name } } } }`, `{}`},
		{`query($id: ID!) { product(id: $id) { id variants { sku } } }`, `{"id":"prd_1"}`},
		{`query($f: Int) { products(first: $f) { totalCount } }`, `{"f":"many"}`},
		{`{ a: products { totalCount } a: product(id: "1") { id } }`, `{}`},
		{`query Q { ...F } fragment F on Query { ...F }`, `{}`},
		{`{ __typename @skip(if: true) @include(if: $x) }`, `{"x":true}`},
		{`subscription { orderStatusChanged(orderId: "o") { status } }`, `null`},
		{`{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { id } } } } } } }`, `{}`},
		{`mutation`, `[]`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, query, variables string) {
		op, err := e.Prepare(Request{Query: query, Variables: []byte(variables)})
		var reqErr *RequestError
		switch {
		case err == nil && op == nil:
			t.Fatal("no operation and no error")
		case err != nil && !errors.As(err, &reqErr):
			t.Fatalf("internal error for %q %q: %v", query, variables, err)
		}
	})
}
