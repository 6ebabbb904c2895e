package graph

import (
	"context"

	"github.com/myshop/supergraph/subgraphs/platform/cursor"
	"github.com/myshop/supergraph/subgraphs/platform/selection"
	"github.com/myshop/supergraph/subgraphs/products/loader"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// A page of products asks, level by level, for its reviews, their products
// and their authors' reviews. The page's resolver knows every key of the
// next level, so it puts them in the loaders itself, a whole level at a
// time, before the fields ask: a statement per level, whatever the load
// (package selection says why).
// Only what the operation selects is read; the fields then hit the loaders'
// cache with the same keys (reviewPageRequest).

// prefetchProductReviews loads the reviews the selection below the current
// field (of type on, "" for any: see selection.ArgsOn) asks of products (at
// path, e.g. "edges", "node"), and what it asks of those reviews.
func prefetchProductReviews(ctx context.Context, on string, productIDs []string, path ...string) {
	path = append(path, "reviews")
	args, ok := selection.ArgsOn(ctx, on, path...)
	if !ok || len(productIDs) == 0 {
		return
	}
	l := loader.For(ctx)
	reqs, ok := reviewPageRequests(productIDs, args)
	if !ok {
		return // a bad argument: the field itself reports it
	}
	l.ReviewsByProduct.Fill(ctx, reqs)
	pages, errs := l.ReviewsByProduct.LoadMany(ctx, reqs)()
	if len(errs) > 0 && errs[0] != nil {
		return
	}
	var products, authors []string
	for _, p := range pages {
		for _, r := range p.Reviews {
			products = append(products, r.ProductID)
			authors = append(authors, r.AuthorID)
		}
	}
	node := append(path, "edges", "node")
	if _, ok := selection.ArgsOn(ctx, on, append(node, "product")...); ok && len(products) > 0 {
		l.ProductByID.Fill(ctx, products)
	}
	if args, ok := selection.ArgsOn(ctx, on, append(node, "author", "reviews")...); ok && len(authors) > 0 {
		if reqs, ok := reviewPageRequests(authors, args); ok {
			l.ReviewsByAuthor.Fill(ctx, reqs)
		}
	}
}

// reviewPageRequests are the loader keys reviewConnection uses for these
// parents and a reviews field's arguments; false when they are invalid.
func reviewPageRequests(parents []string, args map[string]any) ([]product.PageRequest, bool) {
	var first *int
	switch v := args["first"].(type) {
	case int64:
		n := int(v)
		first = &n
	case int:
		first = &v
	}
	var after *string
	if v, ok := args["after"].(string); ok {
		after = &v
	}
	seen := map[string]bool{}
	var out []product.PageRequest
	for _, id := range parents {
		if seen[id] {
			continue
		}
		seen[id] = true
		req, err := reviewPageRequest(id, first, after)
		if err != nil {
			return nil, false
		}
		out = append(out, req)
	}
	return out, true
}

// reviewPageRequest is the loader key of a page of a parent's reviews.
func reviewPageRequest(parentID string, first *int, after *string) (product.PageRequest, error) {
	n, err := cursor.PageSize(first, 10)
	if err != nil {
		return product.PageRequest{}, err
	}
	afterID, err := cursor.Decode(reviewsList, deref(after))
	if err != nil {
		return product.PageRequest{}, err
	}
	return product.PageRequest{ParentID: parentID, After: afterID, First: n}, nil
}
