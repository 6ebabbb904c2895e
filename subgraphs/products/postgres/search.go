package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

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

// buildSearch turns a search into SQL. The channel's price row (cp) is an
// inner join: a product not sold in the channel is not listed there.
func buildSearch(s product.Search) *searchSQL {
	q := &searchSQL{}
	staff := q.arg(s.Staff)
	q.from = productFrom + `
	JOIN product_channel_prices cp ON cp.product_id = p.id AND cp.channel = ` + q.arg(s.Channel) + `
	LEFT JOIN product_ratings pr ON pr.product_id = p.id`
	q.where = append(q.where, `(`+staff+`::bool OR (p.status = 'PUBLISHED' AND p.published_at <= now()))`)
	if s.CollectionID != "" {
		q.from += ` JOIN collection_products colp ON colp.product_id = p.id AND colp.collection_id = ` + q.arg(s.CollectionID)
	}
	rank := "0::float8"
	if s.Text != "" {
		text := q.arg(s.Text)
		// Words through the weighted tsvector (name A, description B), and
		// typos through trigram word similarity on the name; both indexed.
		q.where = append(q.where, `(p.search @@ plainto_tsquery('english', `+text+`) OR `+text+` <% p.name)`)
		rank = `(ts_rank(p.search, plainto_tsquery('english', ` + text + `)) + word_similarity(` + text + `, p.name))::float8`
	}
	if len(s.CategoryIDs) > 0 {
		q.where = append(q.where, `p.category_id IN (SELECT c.id FROM categories c JOIN categories f
			ON f.id = ANY(`+q.arg(s.CategoryIDs)+`) WHERE starts_with(c.path, f.path))`)
	}
	if len(s.BrandIDs) > 0 {
		q.where = append(q.where, `p.brand_id = ANY(`+q.arg(s.BrandIDs)+`)`)
	}
	if s.PriceGTE != nil {
		q.where = append(q.where, `cp.min_minor >= `+q.arg(*s.PriceGTE))
	}
	if s.PriceLTE != nil {
		q.where = append(q.where, `cp.min_minor <= `+q.arg(*s.PriceLTE))
	}
	for _, a := range s.Attributes {
		q.where = append(q.where, `EXISTS (SELECT 1 FROM product_attribute_values v JOIN attributes a ON a.id = v.attribute_id
			WHERE v.product_id = p.id AND a.slug = `+q.arg(a.Slug)+` AND v.value = ANY(`+q.arg(a.Values)+`))`)
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
		return "cp.min_minor", "bigint"
	case product.ByName:
		return "p.name", "text"
	case product.ByCreatedAt:
		return "p.created_at", "timestamptz"
	case product.ByRating:
		return "coalesce(pr.average, 0)", "float8"
	case product.ByPosition:
		return "colp.position", "int"
	default:
		return "p.id", "text"
	}
}

// Search returns the page of first products after the key after (nil: from
// the start), in the search's order with the id breaking ties.
func (s *Store) Search(ctx context.Context, in product.Search, after *product.SortKey, first int) (product.SearchPage, error) {
	q := buildSearch(in)
	op, dir := ">", "ASC"
	if in.Desc {
		op, dir = "<", "DESC"
	}
	where := q.where
	if after != nil {
		where = append(where, `(`+q.key+`, p.id) `+op+` (`+q.arg(after.Value)+`::`+q.cast+`, `+q.arg(after.ID)+`)`)
	}
	sql := `SELECT ` + productCols + `, (` + q.key + `)::text FROM ` + q.from + `
	WHERE ` + strings.Join(where, " AND ") + `
	ORDER BY ` + q.key + ` ` + dir + `, p.id ` + dir + ` LIMIT ` + q.arg(first+1)
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return product.SearchPage{}, fmt.Errorf("search: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.Found, error) {
		var f product.Found
		var p product.Product
		var key string
		var currency, status string
		err := row.Scan(&p.ID, &p.Name, &p.Slug, &p.Description, &status, &p.PublishedAt, &p.CreatedAt,
			&p.Price.Minor, &currency, &p.CategoryID, &p.BrandID, &p.ProductTypeID, &key)
		p.Price.Currency, p.Status = money.Currency(currency), product.Status(status)
		f.Product, f.Key = normalizeTimes(p), product.SortKey{Value: key, ID: p.ID}
		return f, err
	})
	if err != nil {
		return product.SearchPage{}, fmt.Errorf("search: %w", err)
	}
	page := product.SearchPage{Found: found}
	if len(found) > first {
		page.Found, page.HasNext = found[:first], true
	}
	return page, nil
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
	q := buildSearch(in)
	currency := product.Channels[in.Channel]
	bounds := make([]int64, len(product.PriceBandBounds[string(currency)]))
	for i, b := range product.PriceBandBounds[string(currency)] {
		bounds[i] = product.MajorToMinor(b, currency)
	}
	sql := `WITH f AS (SELECT p.id, p.category_id, p.brand_id, cp.min_minor FROM ` + q.from + `
		WHERE ` + strings.Join(q.where, " AND ") + `)
	SELECT 'c', c.id, c.name, '', count(*) FROM f JOIN categories c ON c.id = f.category_id GROUP BY c.id, c.name
	UNION ALL
	SELECT 'b', b.id, b.name, '', count(*) FROM f JOIN brands b ON b.id = f.brand_id GROUP BY b.id, b.name
	UNION ALL
	SELECT 'a', a.slug, a.name, v.value, count(*) FROM f
		JOIN product_attribute_values v ON v.product_id = f.id
		JOIN attributes a ON a.id = v.attribute_id AND a.kind IN ('CHOICE', 'BOOLEAN')
		GROUP BY a.slug, a.name, v.value
	UNION ALL
	SELECT 'p', width_bucket(f.min_minor, ` + q.arg(bounds) + `::bigint[])::text, '', '', count(*) FROM f GROUP BY 2
	ORDER BY 1, 5 DESC, 2, 4`
	rows, err := s.pool.Query(ctx, sql, q.args...)
	if err != nil {
		return product.Facets{}, fmt.Errorf("facets: %w", err)
	}
	defer rows.Close()
	var fs product.Facets
	attrs := map[string]int{} // slug → index in fs.Attributes
	for rows.Next() {
		var kind, id, name, value string
		var n int
		if err := rows.Scan(&kind, &id, &name, &value, &n); err != nil {
			return product.Facets{}, fmt.Errorf("facets: %w", err)
		}
		switch kind {
		case "c":
			fs.Categories = append(fs.Categories, product.FacetCount{ID: id, Name: name, Count: n})
		case "b":
			fs.Brands = append(fs.Brands, product.FacetCount{ID: id, Name: name, Count: n})
		case "a":
			i, ok := attrs[id]
			if !ok {
				i = len(fs.Attributes)
				attrs[id] = i
				fs.Attributes = append(fs.Attributes, product.AttributeFacet{Slug: id, Name: name})
			}
			fs.Attributes[i].Values = append(fs.Attributes[i].Values, product.ValueCount{Value: value, Count: n})
		case "p":
			fs.PriceBands = append(fs.PriceBands, band(bounds, id, n))
		}
	}
	if err := rows.Err(); err != nil {
		return product.Facets{}, fmt.Errorf("facets: %w", err)
	}
	slices.SortFunc(fs.PriceBands, func(a, b product.PriceBand) int { return int(a.GTE - b.GTE) })
	return fs, nil
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

// ExplainSearch runs EXPLAIN (ANALYZE, BUFFERS) on the three statements a
// search with totalCount and facets issues, for benchmarks and for reading
// plans on real data. It executes them, so use it only where that is fine.
func (s *Store) ExplainSearch(ctx context.Context, in product.Search, first int) (map[string]string, error) {
	q := buildSearch(in)
	dir := "ASC"
	if in.Desc {
		dir = "DESC"
	}
	count := `SELECT count(*) FROM ` + q.from + ` WHERE ` + strings.Join(q.where, " AND ")
	countArgs := append([]any(nil), q.args...)
	page := `SELECT ` + productCols + `, (` + q.key + `)::text FROM ` + q.from + ` WHERE ` + strings.Join(q.where, " AND ") +
		` ORDER BY ` + q.key + ` ` + dir + `, p.id ` + dir + ` LIMIT ` + q.arg(first+1)
	out := map[string]string{}
	for name, stmt := range map[string]struct {
		sql  string
		args []any
	}{"page": {page, q.args}, "count": {count, countArgs}} {
		rows, err := s.pool.Query(ctx, `EXPLAIN (ANALYZE, BUFFERS) `+stmt.sql, stmt.args...)
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
