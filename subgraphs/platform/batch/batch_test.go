package batch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/batch"
)

type row struct{ ID, Parent string }

func TestOneAndMany(t *testing.T) {
	ctx := context.Background()
	calls := 0
	load := func(_ context.Context, keys []string) ([]row, error) {
		calls++
		var out []row
		for _, k := range keys {
			if k != "missing" {
				out = append(out, row{ID: k, Parent: "p_" + k}, row{ID: k + "b", Parent: "p_" + k})
			}
		}
		return out, nil
	}
	one := batch.One(load, func(r row) string { return r.ID }, "row")(ctx, []string{"a", "missing"})
	if one[0].Error != nil || one[0].Data.ID != "a" || errs.CodeOf(one[1].Error) != errs.NotFound {
		t.Errorf("One: %+v %+v", one[0], one[1])
	}
	many := batch.Many(load, func(r row) string { return r.ID[:1] })(ctx, []string{"a", "missing"})
	if len(many[0].Data) != 2 || many[1].Data != nil || many[1].Error != nil {
		t.Errorf("Many: %+v %+v", many[0], many[1])
	}
	if calls != 2 {
		t.Errorf("%d store calls for two batches", calls)
	}
	down := errors.New("down")
	failing := func(context.Context, []string) ([]row, error) { return nil, down }
	for _, r := range batch.One(failing, func(r row) string { return r.ID }, "row")(ctx, []string{"a", "b"}) {
		if r.Error != down {
			t.Errorf("One hides the store's error: %v", r.Error)
		}
	}
	for _, r := range batch.Many(failing, func(r row) string { return r.ID })(ctx, []string{"a", "b"}) {
		if r.Error != down {
			t.Errorf("Many hides the store's error: %v", r.Error)
		}
	}
}

type loaders struct{ n int }
type others struct{ n int }

func TestEveryRequestGetsItsOwnLoaders(t *testing.T) {
	made := 0
	var seen []*loaders
	h := batch.Middleware(func(*http.Request) *loaders { made++; return &loaders{n: made} },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen = append(seen, batch.For[*loaders](r.Context()))
		}))
	for range 2 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil))
	}
	if len(seen) != 2 || seen[0] == seen[1] || !slices.Equal([]int{seen[0].n, seen[1].n}, []int{1, 2}) {
		t.Errorf("loaders per request: %+v", seen)
	}
	ctx := batch.With(batch.With(context.Background(), &loaders{n: 1}), &others{n: 2})
	if batch.For[*loaders](ctx).n != 1 || batch.For[*others](ctx).n != 2 {
		t.Error("two loaders types in one context overwrite each other")
	}
}
