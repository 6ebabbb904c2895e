package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// searchSQL is a search's FROM and WHERE, built with numbered arguments.
// User text only ever travels as an argument: quotes and wildcards in a
// search are plain text.
type searchSQL struct {
	args  []any
	from  string
	where []string
	key   string // the sort key expression
	cast  string // the type the key's text form is cast to
}

func (q *searchSQL) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// buildSearch turns a search into SQL over the search documents
// (product_search, one row per product and channel, kept by triggers): every
// filter and sort key is a column of that one table, so the planner can
// start from whichever index is most selective (text, price, category) and
// never joins per row to filter. A product not sold in the channel has no
// document there and is not listed.
func buildSearch(s product.Search) *searchSQL {
	q := &searchSQL{}
	q.from = `product_search d`
	q.where = append(q.where, `d.channel = `+q.arg(s.Channel))
	if !s.Staff {
		// Written out rather than "$staff OR (…)", so a generic plan still
		// sees them and the partial indexes on published documents apply.
		q.where = append(q.where, `d.status = 'PUBLISHED'`, `d.published_at <= now()`)
	}
	if s.CollectionID != "" {
		q.from += ` JOIN collection_products colp ON colp.product_id = d.product_id AND colp.collection_id = ` + q.arg(s.CollectionID)
	}
	if s.RatingGTE != nil || s.Sort == product.ByRating {
		// Ratings change with every review, so they stay in their own table
		// rather than rewriting documents; joined only when used.
		q.from += ` LEFT JOIN product_ratings pr ON pr.product_id = d.product_id`
	}
	rank := "0::float8"
	if s.Text != "" {
		text := q.arg(s.Text)
		// Words through the weighted tsvector (name A, description B), and
		// typos through trigram word similarity on the name; both indexed.
		q.where = append(q.where, `(d.document @@ plainto_tsquery('english', `+text+`) OR `+text+` <% d.name)`)
		rank = `(ts_rank(d.document, plainto_tsquery('english', ` + text + `)) + word_similarity(` + text + `, d.name))::float8`
	}
	if len(s.CategoryIDs) > 0 {
		q.where = append(q.where, `d.category_id IN (SELECT c.id FROM categories c JOIN categories f
			ON f.id = ANY(`+q.arg(s.CategoryIDs)+`) WHERE starts_with(c.path, f.path))`)
	}
	if len(s.BrandIDs) > 0 {
		q.where = append(q.where, `d.brand_id = ANY(`+q.arg(s.BrandIDs)+`)`)
	}
	if s.PriceGTE != nil {
		q.where = append(q.where, `d.min_minor >= `+q.arg(*s.PriceGTE))
	}
	if s.PriceLTE != nil {
		q.where = append(q.where, `d.min_minor <= `+q.arg(*s.PriceLTE))
	}
	for _, a := range s.Attributes {
		// Documents hold 'attribute_id=value'; the slug's wanted values
		// become that form once (an init plan), then the GIN index answers.
		q.where = append(q.where, `d.attrs && ARRAY(SELECT a.id || '=' || v FROM attributes a, unnest(`+
			q.arg(a.Values)+`::text[]) v WHERE a.slug = `+q.arg(a.Slug)+`)`)
	}
	if s.RatingGTE != nil {
		q.where = append(q.where, `coalesce(pr.average, 0) >= `+q.arg(*s.RatingGTE))
	}
	q.key, q.cast = sortKey(s.Sort, rank)
	return q
}

// sortKey is the expression a sort orders by and the SQL type of its
// cursor value.
func sortKey(f product.SortField, rank string) (string, string) {
	switch f {
	case product.ByRelevance:
		return rank, "float8"
	case product.ByPrice:
		return "d.min_minor", "bigint"
	case product.ByName:
		return "d.name", "text"
	case product.ByCreatedAt:
		return "d.created_at", "timestamptz"
	case product.ByRating:
		return "coalesce(pr.average, 0)", "float8"
	case product.ByPosition:
		return "colp.position", "int"
	default:
		return "d.product_id", "text"
	}
}

// pageStatement is the SQL for a page of first products after the key
// after, and, when want asks, the total count and the facets of all the
// matches (not just those after the cursor). The matches are found once,
// in a materialised CTE that the page, the count and every facet read.
// With no aggregates wanted there is no CTE, so a sort with an index
// (price, name, created) can stop after first+1 rows.
func pageStatement(in product.Search, after *product.SortKey, first int, want product.Want) (string, []any) {
	q := buildSearch(in)
	op, dir := ">", "ASC"
	if in.Desc {
		op, dir = "<", "DESC"
	}
	final := `SELECT ` + productCols + `, pg.k::text FROM pg JOIN products p ON p.id = pg.id
	JOIN product_channel_prices dp ON dp.product_id = p.id AND dp.channel = 'default-usd'`
	if !want.Count && !want.Facets {
		where := q.where
		if after != nil {
			where = append(where, `(`+q.key+`, d.product_id) `+op+` (`+q.arg(after.Value)+`::`+q.cast+`, `+q.arg(after.ID)+`)`)
		}
		return `WITH pg AS (SELECT d.product_id AS id, ` + q.key + ` AS k FROM ` + q.from + `
	WHERE ` + strings.Join(where, " AND ") + `
	ORDER BY ` + q.key + ` ` + dir + `, d.product_id ` + dir + ` LIMIT ` + q.arg(first+1) + `)
` + final + ` ORDER BY pg.k ` + dir + `, pg.id ` + dir, q.args
	}
	cursor := "true"
	if after != nil {
		cursor = `(f.k, f.id) ` + op + ` (` + q.arg(after.Value) + `::` + q.cast + `, ` + q.arg(after.ID) + `)`
	}
	facets := "NULL::json"
	if want.Facets {
		facets = `(SELECT json_agg(json_build_object('k', k, 'id', id, 'name', name, 'v', v, 'n', n)) FROM (` +
			facetSQL(q, in) + `) fc)`
	}
	count := "NULL::bigint"
	if want.Count {
		count = "(SELECT count(*) FROM f)"
	}
	sql := `WITH f AS MATERIALIZED (SELECT d.product_id AS id, ` + q.key + ` AS k, d.category_id, d.brand_id, d.min_minor, d.attrs
		FROM ` + q.from + ` WHERE ` + strings.Join(q.where, " AND ") + `),
	pg AS (SELECT f.id, f.k FROM f WHERE ` + cursor + ` ORDER BY f.k ` + dir + `, f.id ` + dir + ` LIMIT ` + q.arg(first+1) + `),
	page AS (SELECT ` + productCols + `, pg.k::text, pg.k AS sort_k, pg.id AS sort_id FROM pg JOIN products p ON p.id = pg.id
		JOIN product_channel_prices dp ON dp.product_id = p.id AND dp.channel = 'default-usd'),
	agg AS (SELECT ` + count + ` AS n, ` + facets + ` AS facets)
	-- One row per page product; the aggregates ride on every row, and on a
	-- row of NULLs when the page is empty. A join keeps no order: sort again.
	SELECT agg.n, agg.facets, page.* FROM agg LEFT JOIN page ON true ORDER BY page.sort_k ` + dir + `, page.sort_id ` + dir
	return sql, q.args
}

// facetSQL counts the CTE f's rows per category, brand, choice or boolean
// attribute value and price band. Attribute values are grouped straight
// from the documents' arrays (a few dozen groups), then named.
func facetSQL(q *searchSQL, in product.Search) string {
	bounds := priceBounds(in)
	return `SELECT 'c' AS k, c.id, c.name, '' AS v, count(*) AS n FROM f JOIN categories c ON c.id = f.category_id GROUP BY c.id, c.name
	UNION ALL
	SELECT 'b', b.id, b.name, '', count(*) FROM f JOIN brands b ON b.id = f.brand_id GROUP BY b.id, b.name
	UNION ALL
	SELECT 'a', a.slug, a.name, substr(av.x, strpos(av.x, '=') + 1), av.n
	FROM (SELECT x, count(*) AS n FROM f, unnest(f.attrs) x GROUP BY x) av
	JOIN attributes a ON a.id = split_part(av.x, '=', 1) AND a.kind IN ('CHOICE', 'BOOLEAN')
	UNION ALL
	SELECT 'p', width_bucket(f.min_minor, ` + q.arg(bounds) + `::bigint[])::text, '', '', count(*) FROM f GROUP BY 2`
}

func priceBounds(in product.Search) []int64 {
	currency := product.Channels[in.Channel]
	bounds := make([]int64, len(product.PriceBandBounds[string(currency)]))
	for i, b := range product.PriceBandBounds[string(currency)] {
		bounds[i] = product.MajorToMinor(b, currency)
	}
	return bounds
}

// SearchAll returns the page of first products after the key after (nil:
// from the start), in the search's order with the id breaking ties, and
// the count and facets of all matches when want asks for them, in one
// statement.
func (s *Store) SearchAll(ctx context.Context, in product.Search, after *product.SortKey, first int, want product.Want) (product.SearchPage, error) {
	sql, args := pageStatement(in, after, first, want)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return product.SearchPage{}, fmt.Errorf("search: %w", err)
	}
	defer rows.Close()
	var page product.SearchPage
	agg := want.Count || want.Facets
	for rows.Next() {
		var c pageRow
		dest := c.dest()
		var n *int
		var facets []facetRow
		var sortKey, sortID any // the page's order, already in the key text
		if agg {
			dest = append(append([]any{&n, &facets}, dest...), &sortKey, &sortID)
		}
		if err := rows.Scan(dest...); err != nil {
			return product.SearchPage{}, fmt.Errorf("search: %w", err)
		}
		if agg && page.Total == nil {
			page.Total = n
			if want.Facets {
				fs := facetsOf(facets, priceBounds(in))
				page.Facets = &fs
			}
		}
		if f, ok := c.found(); ok {
			page.Found = append(page.Found, f)
		}
	}
	if err := rows.Err(); err != nil {
		return product.SearchPage{}, fmt.Errorf("search: %w", err)
	}
	if len(page.Found) > first {
		page.Found, page.HasNext = page.Found[:first], true
	}
	return page, nil
}

// pageRow scans one row of a page; every column is nullable because the
// row of an empty page with aggregates is all NULLs.
type pageRow struct {
	id, name, slug, description, status, currency, category, brand, productType, key *string
	publishedAt, createdAt                                                           *time.Time
	minor                                                                            *int64
}

func (r *pageRow) dest() []any {
	return []any{&r.id, &r.name, &r.slug, &r.description, &r.status, &r.publishedAt, &r.createdAt,
		&r.minor, &r.currency, &r.category, &r.brand, &r.productType, &r.key}
}

func (r *pageRow) found() (product.Found, bool) {
	if r.id == nil {
		return product.Found{}, false
	}
	p := product.Product{ID: *r.id, Name: *r.name, Slug: *r.slug, Description: *r.description,
		Status: product.Status(*r.status), PublishedAt: r.publishedAt, CreatedAt: *r.createdAt,
		CategoryID: *r.category, BrandID: *r.brand, ProductTypeID: *r.productType}
	p.Price.Minor, p.Price.Currency = *r.minor, money.Currency(*r.currency)
	return product.Found{Product: normalizeTimes(p), Key: product.SortKey{Value: *r.key, ID: p.ID}}, true
}

// Search returns a page with no aggregates.
func (s *Store) Search(ctx context.Context, in product.Search, after *product.SortKey, first int) (product.SearchPage, error) {
	return s.SearchAll(ctx, in, after, first, product.Want{})
}

// SearchCount is how many products match.
func (s *Store) SearchCount(ctx context.Context, in product.Search) (int, error) {
	q := buildSearch(in)
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM `+q.from+` WHERE `+strings.Join(q.where, " AND "), q.args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("search count: %w", err)
	}
	return n, nil
}

// SearchFacets counts the matches per category, brand, choice or boolean
// attribute value and price band, in one statement.
func (s *Store) SearchFacets(ctx context.Context, in product.Search) (product.Facets, error) {
	page, err := s.SearchAll(ctx, in, nil, 0, product.Want{Facets: true})
	if err != nil {
		return product.Facets{}, fmt.Errorf("facets: %w", err)
	}
	return *page.Facets, nil
}

// facetRow is one count of facetSQL, as JSON.
type facetRow struct {
	K    string `json:"k"`
	ID   string `json:"id"`
	Name string `json:"name"`
	V    string `json:"v"`
	N    int    `json:"n"`
}

// facetsOf groups facet rows, most frequent first (ties by id, value),
// attributes in order of their first count, price bands by bound.
func facetsOf(rows []facetRow, bounds []int64) product.Facets {
	slices.SortFunc(rows, func(a, b facetRow) int {
		return cmp.Or(cmp.Compare(a.K, b.K), cmp.Compare(b.N, a.N), cmp.Compare(a.ID, b.ID), cmp.Compare(a.V, b.V))
	})
	var fs product.Facets
	attrs := map[string]int{} // slug → index in fs.Attributes
	for _, r := range rows {
		switch r.K {
		case "c":
			fs.Categories = append(fs.Categories, product.FacetCount{ID: r.ID, Name: r.Name, Count: r.N})
		case "b":
			fs.Brands = append(fs.Brands, product.FacetCount{ID: r.ID, Name: r.Name, Count: r.N})
		case "a":
			i, ok := attrs[r.ID]
			if !ok {
				i = len(fs.Attributes)
				attrs[r.ID] = i
				fs.Attributes = append(fs.Attributes, product.AttributeFacet{Slug: r.ID, Name: r.Name})
			}
			fs.Attributes[i].Values = append(fs.Attributes[i].Values, product.ValueCount{Value: r.V, Count: r.N})
		case "p":
			fs.PriceBands = append(fs.PriceBands, band(bounds, r.ID, r.N))
		}
	}
	slices.SortFunc(fs.PriceBands, func(a, b product.PriceBand) int { return cmp.Compare(a.GTE, b.GTE) })
	return fs
}

// band turns a width_bucket number (1 = first band) into its bounds.
func band(bounds []int64, bucket string, n int) product.PriceBand {
	i, _ := strconv.Atoi(bucket) // width_bucket's integer, as text
	b := product.PriceBand{Count: n}
	if i >= 1 {
		b.GTE = bounds[i-1]
	}
	if i < len(bounds) {
		b.LT = &bounds[i]
	}
	return b
}

func normalizeTimes(p product.Product) product.Product {
	if p.PublishedAt != nil {
		t := p.PublishedAt.UTC()
		p.PublishedAt = &t
	}
	p.CreatedAt = p.CreatedAt.UTC()
	return p
}

// ExplainSearch runs EXPLAIN (ANALYZE, BUFFERS) on the statement a search
// with totalCount and facets issues ("search") and on the page alone
// ("page"), for benchmarks and for reading plans on real data. It executes
// them, so use it only where that is fine.
func (s *Store) ExplainSearch(ctx context.Context, in product.Search, first int) (map[string]string, error) {
	out := map[string]string{}
	for name, want := range map[string]product.Want{"search": {Count: true, Facets: true}, "page": {}} {
		sql, args := pageStatement(in, nil, first, want)
		rows, err := s.pool.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+sql, args...)
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", name, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, fmt.Errorf("explain %s: %w", name, err)
		}
		out[name] = strings.Join(lines, "\n")
	}
	return out, nil
}
