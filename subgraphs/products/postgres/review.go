package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/products/product"
)

const reviewCols = `r.id, r.product_id, r.author_id, r.rating, r.title, r.body, r.status, r.helpful_count, r.created_at`

// ReviewsByIDs returns the reviews with these ids that the viewer may see:
// visible ones, their own, and all for staff.
func (s *Store) ReviewsByIDs(ctx context.Context, v product.Viewer, ids []string) ([]product.Review, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+reviewCols+` FROM reviews r
		WHERE r.id = ANY($3) AND (r.status = 'VISIBLE' OR $1 OR r.author_id = $2)`, v.Staff, v.UserID, ids)
	if err != nil {
		return nil, fmt.Errorf("reviews by ids: %w", err)
	}
	rs, err := pgx.CollectRows(rows, scanReview)
	if err != nil {
		return nil, fmt.Errorf("reviews by ids: %w", err)
	}
	return rs, nil
}

// The page queries take every request of a batch at once: each parent gets
// its own LIMIT through a lateral join, so N parents cost one statement.
const (
	reviewPagesByProduct = `
SELECT k.ord, ` + reviewCols + `
FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS k(parent_id, after_id, lim, ord)
CROSS JOIN LATERAL (
    SELECT * FROM reviews r
    WHERE r.product_id = k.parent_id AND r.id > k.after_id AND (r.status = 'VISIBLE' OR $4 OR r.author_id = $5)
    ORDER BY r.id LIMIT k.lim + 1
) r
ORDER BY k.ord, r.id`
	reviewPagesByAuthor = `
SELECT k.ord, ` + reviewCols + `
FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS k(parent_id, after_id, lim, ord)
CROSS JOIN LATERAL (
    SELECT * FROM reviews r
    WHERE r.author_id = k.parent_id AND r.id > k.after_id AND (r.status = 'VISIBLE' OR $4 OR r.author_id = $5)
    ORDER BY r.id LIMIT k.lim + 1
) r
ORDER BY k.ord, r.id`
)

// ReviewPagesByProduct returns one page per request, in request order,
// where ParentID is a product id.
func (s *Store) ReviewPagesByProduct(ctx context.Context, v product.Viewer, reqs []product.PageRequest) ([]product.ReviewPage, error) {
	return s.reviewPages(ctx, reviewPagesByProduct, v, reqs)
}

// ReviewPagesByAuthor is ReviewPagesByProduct for pages of one author's reviews.
func (s *Store) ReviewPagesByAuthor(ctx context.Context, v product.Viewer, reqs []product.PageRequest) ([]product.ReviewPage, error) {
	return s.reviewPages(ctx, reviewPagesByAuthor, v, reqs)
}

func (s *Store) reviewPages(ctx context.Context, query string, v product.Viewer, reqs []product.PageRequest) ([]product.ReviewPage, error) {
	parents := make([]string, len(reqs))
	afters := make([]string, len(reqs))
	limits := make([]int32, len(reqs))
	for i, r := range reqs {
		parents[i], afters[i], limits[i] = r.ParentID, r.After, int32(r.First)
	}
	rows, err := s.pool.Query(ctx, query, parents, afters, limits, v.Staff, v.UserID)
	if err != nil {
		return nil, fmt.Errorf("review pages: %w", err)
	}
	defer rows.Close()
	pages := make([]product.ReviewPage, len(reqs))
	for rows.Next() {
		var ord int
		var r product.Review
		var status string
		if err := rows.Scan(&ord, &r.ID, &r.ProductID, &r.AuthorID, &r.Rating, &r.Title, &r.Body, &status, &r.HelpfulCount, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("review pages: %w", err)
		}
		r.Status, r.CreatedAt = product.ReviewStatus(status), r.CreatedAt.UTC()
		p := &pages[ord-1]
		if len(p.Reviews) == reqs[ord-1].First {
			p.HasNext = true // the one extra row only says there is more
			continue
		}
		p.Reviews = append(p.Reviews, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("review pages: %w", err)
	}
	return pages, nil
}

func scanReview(row pgx.CollectableRow) (product.Review, error) {
	var r product.Review
	var status string
	err := row.Scan(&r.ID, &r.ProductID, &r.AuthorID, &r.Rating, &r.Title, &r.Body, &status, &r.HelpfulCount, &r.CreatedAt)
	r.Status, r.CreatedAt = product.ReviewStatus(status), r.CreatedAt.UTC()
	return r, err
}

// RatingsByProducts returns the rating rows of these products; a product
// without one has no reviews.
func (s *Store) RatingsByProducts(ctx context.Context, productIDs []string) ([]product.Rating, error) {
	rows, err := s.pool.Query(ctx, `SELECT product_id, count, average, r1, r2, r3, r4, r5
		FROM product_ratings WHERE product_id = ANY($1)`, productIDs)
	if err != nil {
		return nil, fmt.Errorf("ratings: %w", err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.Rating, error) {
		var r product.Rating
		d := &r.Distribution
		err := row.Scan(&r.ProductID, &r.Count, &r.Average, &d[0], &d[1], &d[2], &d[3], &d[4])
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("ratings: %w", err)
	}
	return rs, nil
}

// CreateReview writes authorID's review of a product the author may see and
// updates the product's rating in the same transaction.
func (s *Store) CreateReview(ctx context.Context, authorID, productID string, rating int, title, body string) (product.Review, error) {
	id := ids.New("rev")
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO reviews (id, product_id, author_id, rating, title, body)
			SELECT $1, p.id, $3, $4, $5, $6 FROM products p
			WHERE p.id = $2 AND p.status = 'PUBLISHED' AND p.published_at <= now()`,
			id, productID, authorID, rating, title, body)
		if err != nil {
			return conflict(err, "insert review")
		}
		if tag.RowsAffected() == 0 {
			return errs.Problemf([]string{"input", "productId"}, product.NotFound, "no product %s", productID)
		}
		return refreshRating(ctx, tx, productID)
	})
	if err != nil {
		return product.Review{}, err
	}
	return s.review(ctx, id)
}

// UpdateReview changes the fields of in that are set, if authorID wrote the
// review, and updates the rating.
func (s *Store) UpdateReview(ctx context.Context, authorID, id string, in product.ReviewInput) (product.Review, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var productID string
		err := tx.QueryRow(ctx, `UPDATE reviews SET rating = coalesce($3, rating), title = coalesce($4, title),
			body = coalesce($5, body), updated_at = now()
			WHERE id = $1 AND author_id = $2 RETURNING product_id`, id, authorID, in.Rating, in.Title, in.Body).Scan(&productID)
		if errors.Is(err, pgx.ErrNoRows) {
			// Someone else's review is as good as absent to this user.
			return errs.Problemf([]string{"id"}, product.NotFound, "you have no review %s", id)
		}
		if err != nil {
			return fmt.Errorf("update review: %w", err)
		}
		return refreshRating(ctx, tx, productID)
	})
	if err != nil {
		return product.Review{}, err
	}
	return s.review(ctx, id)
}

// SetReviewStatus hides or shows a review and updates the rating.
func (s *Store) SetReviewStatus(ctx context.Context, id string, status product.ReviewStatus) (product.Review, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var productID string
		err := tx.QueryRow(ctx, `UPDATE reviews SET status = $2 WHERE id = $1 RETURNING product_id`, id, string(status)).Scan(&productID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"id"}, product.NotFound, "no review %s", id)
		}
		if err != nil {
			return fmt.Errorf("set review status: %w", err)
		}
		return refreshRating(ctx, tx, productID)
	})
	if err != nil {
		return product.Review{}, err
	}
	return s.review(ctx, id)
}

// MarkHelpful records userID's helpful vote once; a second vote is a no-op.
// Hidden reviews take no votes, except from staff.
func (s *Store) MarkHelpful(ctx context.Context, v product.Viewer, id string) (product.Review, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reviews r WHERE r.id = $1
			AND (r.status = 'VISIBLE' OR $2 OR r.author_id = $3))`, id, v.Staff, v.UserID).Scan(&exists); err != nil {
			return fmt.Errorf("find review: %w", err)
		}
		if !exists {
			return errs.Problemf([]string{"id"}, product.NotFound, "no review %s", id)
		}
		// The vote row and the counter change together, so the count is
		// exactly the number of voters.
		_, err := tx.Exec(ctx, `WITH vote AS (
			INSERT INTO review_votes (review_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING review_id)
			UPDATE reviews SET helpful_count = helpful_count + 1 WHERE id IN (SELECT review_id FROM vote)`, id, v.UserID)
		if err != nil {
			return fmt.Errorf("vote: %w", err)
		}
		return nil
	})
	if err != nil {
		return product.Review{}, err
	}
	return s.review(ctx, id)
}

func refreshRating(ctx context.Context, tx pgx.Tx, productID string) error {
	if _, err := tx.Exec(ctx, `SELECT refresh_product_ratings(ARRAY[$1::text])`, productID); err != nil {
		return fmt.Errorf("refresh rating: %w", err)
	}
	return nil
}

func (s *Store) review(ctx context.Context, id string) (product.Review, error) {
	rs, err := s.ReviewsByIDs(ctx, product.Viewer{Staff: true}, []string{id})
	if err != nil {
		return product.Review{}, err
	}
	if len(rs) == 0 {
		return product.Review{}, fmt.Errorf("review %s vanished after writing it", id)
	}
	return rs[0], nil
}
