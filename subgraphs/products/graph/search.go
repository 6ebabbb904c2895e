package graph

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/cursor"
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/products/graph/model"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// parseSearch checks the products arguments and turns them into a Search.
// Bad input is BAD_USER_INPUT: the client must fix the query.
func parseSearch(ctx context.Context, text *string, where *model.ProductWhere, sortBy *model.ProductSort, channel *string) (product.Search, error) {
	s := product.Search{Text: deref(text), Channel: deref(channel), Sort: product.ByID}
	if utf8.RuneCountInString(s.Text) > product.MaxSearchLen {
		return s, errs.New(errs.Invalid, "search is longer than %d characters", product.MaxSearchLen)
	}
	if s.Channel == "" {
		s.Channel = product.DefaultChannel
	}
	currency, ok := product.Channels[s.Channel]
	if !ok {
		return s, errs.New(errs.Invalid, "unknown channel %q", s.Channel)
	}
	if s.Text != "" {
		s.Sort, s.Desc = product.ByRelevance, true
	}
	if sortBy != nil {
		s.Sort = product.SortField(sortBy.Field)
		s.Desc = s.Sort == product.ByRelevance || s.Sort == product.ByRating
		if sortBy.Direction != nil {
			s.Desc = *sortBy.Direction == model.SortDirectionDesc
		}
	}
	if s.Sort == product.ByRelevance && s.Text == "" {
		return s, errs.New(errs.Invalid, "RELEVANCE sorting needs search text")
	}
	if where == nil {
		return s, nil
	}
	s.CategoryIDs, s.BrandIDs = where.CategoryIds, where.BrandIds
	if p := where.Price; p != nil {
		var err error
		if s.PriceGTE, err = parsePriceBound(p.Gte, currency); err != nil {
			return s, err
		}
		if s.PriceLTE, err = parsePriceBound(p.Lte, currency); err != nil {
			return s, err
		}
	}
	for _, a := range where.Attributes {
		s.Attributes = append(s.Attributes, product.AttributeFilter{Slug: a.Slug, Values: a.Values})
	}
	if r := where.Rating; r != nil {
		if r.Gte < 0 || r.Gte > 5 {
			return s, errs.New(errs.Invalid, "rating.gte must be from 0 to 5")
		}
		s.RatingGTE = &r.Gte
	}
	return s, nil
}

func parsePriceBound(v *string, currency money.Currency) (*int64, error) {
	if v == nil {
		return nil, nil
	}
	n, err := product.ParseAmount(*v, currency)
	if err != nil {
		return nil, errs.New(errs.Invalid, "price: %v", err)
	}
	return &n, nil
}

// searchList names the cursors of one search: a cursor from another sort,
// filter or channel fails to decode with INVALID_CURSOR.
func searchList(s product.Search) string { return "products:" + s.Fingerprint() }

func decodeSearchCursor(s product.Search, after *string) (*product.SortKey, error) {
	raw, err := cursor.Decode(searchList(s), deref(after))
	if err != nil || raw == "" {
		return nil, err
	}
	var k []string
	if json.Unmarshal([]byte(raw), &k) != nil || len(k) != 2 {
		return nil, errs.New(errs.InvalidCursor, "cursor %q is not valid", *after)
	}
	return &product.SortKey{Value: k[0], ID: k[1]}, nil
}

func encodeSearchCursor(s product.Search, k product.SortKey) string {
	b, _ := json.Marshal([]string{k.Value, k.ID}) // strings: cannot fail
	return cursor.Encode(searchList(s), string(b))
}

// searchConnection runs one page of a search; totalCount and facets are
// left to their resolvers, so they cost nothing unless selected.
func searchConnection(ctx context.Context, catalog *product.Catalog, s product.Search, first *int, after *string) (*model.ProductConnection, error) {
	n, err := cursor.PageSize(first, 20)
	if err != nil {
		return nil, err
	}
	key, err := decodeSearchCursor(s, after)
	if err != nil {
		return nil, err
	}
	// totalCount and facets, when selected, come from the page's own
	// statement: the matches are found once instead of three times.
	var want product.Want
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		switch f.Name {
		case "totalCount":
			want.Count = true
		case "facets":
			want.Facets = true
		}
	}
	page, s, err := catalog.Search(ctx, s, key, n, want)
	if err != nil {
		return nil, err
	}
	conn := &model.ProductConnection{
		Edges:       make([]*model.ProductEdge, len(page.Found)),
		PageInfo:    &model.PageInfo{HasNextPage: page.HasNext, HasPreviousPage: key != nil},
		Search:      s,
		KnownTotal:  page.Total,
		KnownFacets: page.Facets,
	}
	for i, f := range page.Found {
		conn.Edges[i] = &model.ProductEdge{Cursor: encodeSearchCursor(s, f.Key), Node: toProduct(f.Product)}
	}
	setPageCursors(conn.PageInfo, len(conn.Edges), func(i int) string { return conn.Edges[i].Cursor })
	ids := make([]string, len(page.Found))
	for i, f := range page.Found {
		ids[i] = f.Product.ID
	}
	prefetchProductReviews(ctx, "", ids, "edges", "node")
	return conn, nil
}
