package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

const imageCols = `id, product_id, object_key, content_type, width, height, size_bytes, alt, position, thumbnails, created_at`

func scanImage(row pgx.CollectableRow) (product.Image, error) {
	var i product.Image
	var thumbs []byte
	if err := row.Scan(&i.ID, &i.ProductID, &i.Key, &i.ContentType, &i.Width, &i.Height, &i.ByteSize,
		&i.Alt, &i.Position, &thumbs, &i.CreatedAt); err != nil {
		return i, err
	}
	i.CreatedAt = i.CreatedAt.UTC()
	return i, json.Unmarshal(thumbs, &i.Thumbnails)
}

// ImagesByProducts returns the images of these products, each product's
// in position order. The caller has seen the products already.
func (s *Store) ImagesByProducts(ctx context.Context, productIDs []string) ([]product.Image, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+imageCols+` FROM product_images WHERE product_id = ANY($1)
		ORDER BY product_id, position, id`, productIDs)
	if err != nil {
		return nil, fmt.Errorf("images by products: %w", err)
	}
	is, err := pgx.CollectRows(rows, scanImage)
	if err != nil {
		return nil, fmt.Errorf("images by products: %w", err)
	}
	return is, nil
}

// Image returns one image, or a NotFound Problem.
func (s *Store) Image(ctx context.Context, id string) (product.Image, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+imageCols+` FROM product_images WHERE id = $1`, id)
	if err != nil {
		return product.Image{}, fmt.Errorf("image: %w", err)
	}
	i, err := pgx.CollectExactlyOneRow(rows, scanImage)
	if errors.Is(err, pgx.ErrNoRows) {
		return product.Image{}, errs.Problemf([]string{"id"}, product.NotFound, "no image %s", id)
	}
	if err != nil {
		return product.Image{}, fmt.Errorf("image: %w", err)
	}
	return i, nil
}

// CreateImageUpload records an upload handed out.
func (s *Store) CreateImageUpload(ctx context.Context, u product.ImageUpload) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO product_image_uploads (id, product_id, object_key, filename, content_type, size_bytes, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, u.ID, u.ProductID, u.Key, u.Filename, u.ContentType, u.Size, u.ExpiresAt)
	if err != nil {
		return conflict(err, "create image upload")
	}
	return nil
}

// ImageUpload returns an unconfirmed upload, or a NotFound Problem.
func (s *Store) ImageUpload(ctx context.Context, id string) (product.ImageUpload, error) {
	var u product.ImageUpload
	err := s.pool.QueryRow(ctx, `SELECT id, product_id, object_key, filename, content_type, size_bytes, expires_at
		FROM product_image_uploads WHERE id = $1`, id).Scan(&u.ID, &u.ProductID, &u.Key, &u.Filename, &u.ContentType, &u.Size, &u.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, errs.Problemf([]string{"uploadId"}, product.NotFound, "no upload %s waits for confirmation", id)
	}
	if err != nil {
		return u, fmt.Errorf("image upload: %w", err)
	}
	return u, nil
}

// ExpiredImageUploads returns up to limit uploads whose URL expired
// before cutoff.
func (s *Store) ExpiredImageUploads(ctx context.Context, cutoff time.Time, limit int) ([]product.ImageUpload, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, product_id, object_key, filename, content_type, size_bytes, expires_at
		FROM product_image_uploads WHERE expires_at < $1 ORDER BY expires_at LIMIT $2`, cutoff, limit)
	if err != nil {
		return nil, fmt.Errorf("expired uploads: %w", err)
	}
	us, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.ImageUpload, error) {
		var u product.ImageUpload
		err := row.Scan(&u.ID, &u.ProductID, &u.Key, &u.Filename, &u.ContentType, &u.Size, &u.ExpiresAt)
		return u, err
	})
	if err != nil {
		return nil, fmt.Errorf("expired uploads: %w", err)
	}
	return us, nil
}

// DeleteImageUpload forgets an upload.
func (s *Store) DeleteImageUpload(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM product_image_uploads WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete image upload: %w", err)
	}
	return nil
}

// AddImage turns upload uploadID into image img, last among its product's
// images. A second confirmation of the same upload finds it gone: NotFound.
// uploadID "" adds an image that came in the request itself (multipart).
func (s *Store) AddImage(ctx context.Context, uploadID string, img product.Image) (product.Image, error) {
	thumbs, err := json.Marshal(img.Thumbnails)
	if err != nil {
		return product.Image{}, err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if uploadID != "" {
			tag, err := tx.Exec(ctx, `DELETE FROM product_image_uploads WHERE id = $1`, uploadID)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return errs.Problemf([]string{"uploadId"}, product.NotFound, "upload %s was confirmed already", uploadID)
			}
		}
		// The product row's lock orders concurrent additions of positions.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = $1 FOR UPDATE`, img.ProductID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `INSERT INTO product_images (id, product_id, object_key, content_type, width, height, size_bytes, alt, position, thumbnails)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
				(SELECT count(*) FROM product_images WHERE product_id = $2), $9)
			RETURNING `+imageCols, img.ID, img.ProductID, img.Key, img.ContentType, img.Width, img.Height, img.ByteSize, img.Alt, thumbs)
		if err != nil {
			return err
		}
		img, err = pgx.CollectExactlyOneRow(rows, scanImage)
		return err
	})
	if err != nil {
		var p *errs.Problem
		if errors.As(err, &p) {
			return product.Image{}, p
		}
		return product.Image{}, conflict(err, "add image")
	}
	return img, nil
}

// UpdateImage changes an image's alt text and moves it to a position
// (clamped to the product's images); the others shift to keep 0…n-1.
func (s *Store) UpdateImage(ctx context.Context, id string, u product.ImageUpdate) (product.Image, error) {
	var out product.Image
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var productID string
		if err := tx.QueryRow(ctx, `SELECT product_id FROM product_images WHERE id = $1`, id).Scan(&productID); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return errs.Problemf([]string{"id"}, product.NotFound, "no image %s", id)
			}
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = $1 FOR UPDATE`, productID); err != nil {
			return err
		}
		if u.Alt != nil {
			if _, err := tx.Exec(ctx, `UPDATE product_images SET alt = $2 WHERE id = $1`, id, *u.Alt); err != nil {
				return err
			}
		}
		if u.Position != nil {
			order, err := imageOrder(ctx, tx, productID)
			if err != nil {
				return err
			}
			from := slices.Index(order, id)
			order = slices.Delete(order, from, from+1)
			to := min(max(*u.Position, 0), len(order))
			order = slices.Insert(order, to, id)
			if err := setImageOrder(ctx, tx, order); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `SELECT `+imageCols+` FROM product_images WHERE id = $1`, id)
		if err != nil {
			return err
		}
		out, err = pgx.CollectExactlyOneRow(rows, scanImage)
		return err
	})
	if err != nil {
		var p *errs.Problem
		if errors.As(err, &p) {
			return product.Image{}, p
		}
		return product.Image{}, fmt.Errorf("update image: %w", err)
	}
	return out, nil
}

// DeleteImage removes an image's row and closes the gap in positions; it
// returns the image so the caller can delete its objects.
func (s *Store) DeleteImage(ctx context.Context, id string) (product.Image, error) {
	var img product.Image
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM product_images WHERE id = $1 RETURNING `+imageCols, id)
		if err != nil {
			return err
		}
		img, err = pgx.CollectExactlyOneRow(rows, scanImage)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"id"}, product.NotFound, "no image %s", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `SELECT 1 FROM products WHERE id = $1 FOR UPDATE`, img.ProductID); err != nil {
			return err
		}
		order, err := imageOrder(ctx, tx, img.ProductID)
		if err != nil {
			return err
		}
		return setImageOrder(ctx, tx, order)
	})
	if err != nil {
		var p *errs.Problem
		if errors.As(err, &p) {
			return product.Image{}, p
		}
		return product.Image{}, fmt.Errorf("delete image: %w", err)
	}
	return img, nil
}

func imageOrder(ctx context.Context, tx pgx.Tx, productID string) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM product_images WHERE product_id = $1 ORDER BY position, id`, productID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// setImageOrder numbers the images 0…n-1 in the order given.
func setImageOrder(ctx context.Context, tx pgx.Tx, ids []string) error {
	_, err := tx.Exec(ctx, `UPDATE product_images i SET position = o.n - 1
		FROM unnest($1::text[]) WITH ORDINALITY AS o(id, n) WHERE i.id = o.id AND i.position <> o.n - 1`, ids)
	return err
}
