package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/myshop/supergraph/subgraphs/platform/cursor"
	"github.com/myshop/supergraph/subgraphs/products/loader"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// A page of products asks, level by level, for its reviews, their products
// and their authors' reviews. Left to the field resolvers, each level's keys
// reach the loaders from goroutines over time, and a loaded machine splits a
// level into several statements. The page's resolver knows every key of the
// next level, so it puts them in the loaders itself, a whole level at a
// time, before the fields ask: a statement per level, whatever the load.
// Only what the operation selects is read; the fields then hit the loaders'
// cache with the same keys (reviewPageRequest).

// prefetchProductReviews loads the reviews the selection below the current
// field asks of products (at path, e.g. "edges", "node"), and what it asks
// of those reviews.
func prefetchProductReviews(ctx context.Context, productIDs []string, path ...string) {
	path = append(path, "reviews")
	args, ok := selectedArgs(ctx, path...)
	if !ok || len(productIDs) == 0 {
		return
	}
	l := loader.For(ctx)
	reqs, ok := reviewPageRequests(productIDs, args)
	if !ok {
		return // a bad argument: the field itself reports it
	}
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
	if _, ok := selectedArgs(ctx, append(node, "product")...); ok && len(products) > 0 {
		l.ProductByID.LoadMany(ctx, products)()
	}
	if args, ok := selectedArgs(ctx, append(node, "author", "reviews")...); ok && len(authors) > 0 {
		if reqs, ok := reviewPageRequests(authors, args); ok {
			l.ReviewsByAuthor.LoadMany(ctx, reqs)()
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

// selectedArgs finds the field at path below the field being resolved
// (fragments without a type condition and fields inline) and returns its
// arguments, defaults filled.
func selectedArgs(ctx context.Context, path ...string) (map[string]any, bool) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !graphql.HasOperationContext(ctx) {
		return nil, false
	}
	op := graphql.GetOperationContext(ctx)
	sel := fc.Field.Selections
	var field graphql.CollectedField
	for _, name := range path {
		found := false
		for _, f := range graphql.CollectFields(op, sel, nil) {
			if f.Name == name {
				field, found = f, true
				break
			}
		}
		if !found {
			return nil, false
		}
		sel = field.Selections
	}
	return field.ArgumentMap(op.Variables), true
}
