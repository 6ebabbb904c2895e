package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/products/product"
)

// CreateProduct inserts a product with its attribute values and its
// default-channel price row, all or nothing.
func (s *Store) CreateProduct(ctx context.Context, in product.NewProduct) (product.Product, error) {
	id := ids.New("prd")
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO products (id, name, slug, description, status, published_at,
			category_id, brand_id, product_type_id, price_minor, currency)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), nullif($8, ''), nullif($9, ''), $10, 'USD')`,
			id, in.Name, in.Slug, in.Description, string(in.Status), in.PublishedAt,
			in.CategoryID, in.BrandID, in.ProductTypeID, in.BasePrice)
		if err != nil {
			return conflict(err, "insert product")
		}
		if err := setAttributes(ctx, tx, id, in.ProductTypeID, in.Attributes); err != nil {
			return err
		}
		return refreshPrices(ctx, tx, id)
	})
	if err != nil {
		return product.Product{}, err
	}
	return s.productForStaff(ctx, id)
}

// UpdateProduct changes the fields of u that are set.
func (s *Store) UpdateProduct(ctx context.Context, id string, u product.ProductUpdate) (product.Product, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE products SET
			name = coalesce($2, name), slug = coalesce($3, slug), description = coalesce($4, description),
			status = coalesce($5, status), category_id = coalesce($7, category_id), brand_id = coalesce($8, brand_id),
			price_minor = coalesce($9, price_minor),
			-- publishing without a date publishes now; an explicit date wins
			published_at = coalesce($6, CASE WHEN $5 = 'PUBLISHED' THEN coalesce(published_at, now()) ELSE published_at END)
			WHERE id = $1`,
			id, u.Name, u.Slug, u.Description, (*string)(u.Status), u.PublishedAt, u.CategoryID, u.BrandID, u.BasePrice)
		if err != nil {
			return conflict(err, "update product")
		}
		if tag.RowsAffected() == 0 {
			return errs.Problemf([]string{"id"}, product.NotFound, "no product %s", id)
		}
		return refreshPrices(ctx, tx, id)
	})
	if err != nil {
		return product.Product{}, err
	}
	return s.productForStaff(ctx, id)
}

// CreateVariant inserts a variant, last among its product's, with its prices.
func (s *Store) CreateVariant(ctx context.Context, in product.NewVariant) (product.Variant, error) {
	id := ids.New("var")
	options, err := json.Marshal(in.Options)
	if err != nil {
		return product.Variant{}, fmt.Errorf("create variant: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO product_variants (id, product_id, sku, name, options, weight_grams, position)
			VALUES ($1, $2, $3, $4, $5, $6,
			        (SELECT coalesce(max(position) + 1, 0) FROM product_variants WHERE product_id = $2))`,
			id, in.ProductID, in.SKU, in.Name, options, in.WeightGrams)
		if err != nil {
			return conflict(err, "insert variant")
		}
		for channel, minor := range in.Prices {
			if err := setPrice(ctx, tx, id, channel, &minor); err != nil {
				return err
			}
		}
		return refreshPrices(ctx, tx, in.ProductID)
	})
	if err != nil {
		return product.Variant{}, err
	}
	return s.variant(ctx, id)
}

// SetVariantPrice sets the variant's price in channel, or removes it when
// minor is nil, and refreshes its product's price range.
func (s *Store) SetVariantPrice(ctx context.Context, variantID, channel string, minor *int64) (product.Variant, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var productID string
		err := tx.QueryRow(ctx, `SELECT product_id FROM product_variants WHERE id = $1 FOR UPDATE`, variantID).Scan(&productID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"variantId"}, product.NotFound, "no variant %s", variantID)
		}
		if err != nil {
			return fmt.Errorf("lock variant: %w", err)
		}
		if err := setPrice(ctx, tx, variantID, channel, minor); err != nil {
			return err
		}
		return refreshPrices(ctx, tx, productID)
	})
	if err != nil {
		return product.Variant{}, err
	}
	return s.variant(ctx, variantID)
}

func setPrice(ctx context.Context, tx pgx.Tx, variantID, channel string, minor *int64) error {
	var err error
	if minor == nil {
		_, err = tx.Exec(ctx, `DELETE FROM variant_prices WHERE variant_id = $1 AND channel = $2`, variantID, channel)
	} else {
		_, err = tx.Exec(ctx, `INSERT INTO variant_prices (variant_id, channel, amount_minor, currency)
			SELECT $1, slug, $3, currency FROM channels WHERE slug = $2
			ON CONFLICT (variant_id, channel) DO UPDATE SET amount_minor = excluded.amount_minor`, variantID, channel, *minor)
	}
	if err != nil {
		return fmt.Errorf("set price: %w", err)
	}
	return nil
}

// refreshPrices rewrites the product's price range rows in the caller's
// transaction, so search never sees a price that disagrees with variants.
func refreshPrices(ctx context.Context, tx pgx.Tx, productID string) error {
	if _, err := tx.Exec(ctx, `SELECT refresh_product_prices(ARRAY[$1::text])`, productID); err != nil {
		return fmt.Errorf("refresh prices: %w", err)
	}
	return nil
}

// setAttributes stores a new product's attribute values.
func setAttributes(ctx context.Context, tx pgx.Tx, productID, typeID string, in []product.AttributeInput) error {
	return writeAttributes(ctx, tx, productID, typeID, in, []string{"input", "attributes"})
}

// writeAttributes checks each value against its attribute's kind (and, when
// the product has a type, that the type has the attribute) and stores it;
// field is the input list's path, for errors. The attribute and type rows
// are KEY SHARE locked, so a concurrent change of choices or of the type's
// attributes waits for this write (and then sees it) or finishes first
// (and this check sees the change).
func writeAttributes(ctx context.Context, tx pgx.Tx, productID, typeID string, in []product.AttributeInput, field []string) error {
	if len(in) == 0 {
		return nil
	}
	if typeID != "" {
		if _, err := tx.Exec(ctx, `SELECT 1 FROM product_types WHERE id = $1 FOR KEY SHARE`, typeID); err != nil {
			return fmt.Errorf("lock product type: %w", err)
		}
	}
	slugs := make([]string, len(in))
	for i, a := range in {
		slugs[i] = a.Slug
	}
	rows, err := tx.Query(ctx, `SELECT a.id, a.slug, a.name, a.kind, a.choices FROM attributes a
		WHERE a.slug = ANY($1) AND ($2 = '' OR EXISTS (SELECT 1 FROM product_type_attributes t
		    WHERE t.product_type_id = $2 AND t.attribute_id = a.id)) FOR KEY SHARE OF a`, slugs, typeID)
	if err != nil {
		return fmt.Errorf("attributes: %w", err)
	}
	attrs, err := pgx.CollectRows(rows, scanAttribute)
	if err != nil {
		return fmt.Errorf("attributes: %w", err)
	}
	bySlug := map[string]product.Attribute{}
	for _, a := range attrs {
		bySlug[a.Slug] = a
	}
	for i, v := range in {
		field := append(field[:len(field):len(field)], fmt.Sprint(i))
		a, ok := bySlug[v.Slug]
		if !ok {
			return errs.Problemf(field, product.InvalidAttribute, "the product type has no attribute %q", v.Slug)
		}
		if err := a.CheckValue(field, v.Value); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO product_attribute_values (product_id, attribute_id, value) VALUES ($1, $2, $3)
			ON CONFLICT (product_id, attribute_id) DO UPDATE SET value = excluded.value`, productID, a.ID, v.Value); err != nil {
			return fmt.Errorf("set attribute: %w", err)
		}
	}
	return nil
}

func (s *Store) productForStaff(ctx context.Context, id string) (product.Product, error) {
	ps, err := s.ProductsByIDs(ctx, true, []string{id})
	if err != nil {
		return product.Product{}, err
	}
	if len(ps) == 0 {
		return product.Product{}, fmt.Errorf("product %s vanished after writing it", id)
	}
	return ps[0], nil
}

func (s *Store) variant(ctx context.Context, id string) (product.Variant, error) {
	vs, err := s.VariantsByIDs(ctx, true, []string{id})
	if err != nil {
		return product.Variant{}, err
	}
	if len(vs) == 0 {
		return product.Variant{}, fmt.Errorf("variant %s vanished after writing it", id)
	}
	return vs[0], nil
}

// UpdateVariant changes the fields of u that are set.
func (s *Store) UpdateVariant(ctx context.Context, id string, u product.VariantUpdate) (product.Variant, error) {
	var options []byte
	if u.Options != nil {
		var err error
		if options, err = json.Marshal(*u.Options); err != nil {
			return product.Variant{}, fmt.Errorf("update variant: %w", err)
		}
	}
	tag, err := s.pool.Exec(ctx, `UPDATE product_variants SET sku = coalesce($2, sku), name = coalesce($3, name),
		options = coalesce($4::jsonb, options), weight_grams = coalesce($5, weight_grams) WHERE id = $1`,
		id, u.SKU, u.Name, options, u.WeightGrams)
	if err != nil {
		return product.Variant{}, conflict(err, "update variant")
	}
	if tag.RowsAffected() == 0 {
		return product.Variant{}, errs.Problemf([]string{"id"}, product.NotFound, "no variant %s", id)
	}
	return s.variant(ctx, id)
}

// ArchiveProduct stops selling a product. published_at stays: it is how
// DeleteProduct knows the product was once for sale.
func (s *Store) ArchiveProduct(ctx context.Context, id string) (product.Product, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE products SET status = 'ARCHIVED' WHERE id = $1`, id)
	if err != nil {
		return product.Product{}, fmt.Errorf("archive product: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return product.Product{}, errs.Problemf([]string{"id"}, product.NotFound, "no product %s", id)
	}
	return s.productForStaff(ctx, id)
}

// lockUnsold locks a product's row and refuses (IN_USE) one that has ever
// been published. Carts take only variants a shopper can see, so a product
// never published is in no cart or order; one that was may be, and the
// orders subgraph's lines would name a variant that is gone. The lock
// waits for a concurrent publish, and a publish waits for the delete.
func lockUnsold(ctx context.Context, tx pgx.Tx, productID string) error {
	var published bool
	err := tx.QueryRow(ctx, `SELECT published_at IS NOT NULL FROM products WHERE id = $1 FOR UPDATE`, productID).Scan(&published)
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.Problemf([]string{"id"}, product.NotFound, "no product %s", productID)
	}
	if err != nil {
		return fmt.Errorf("lock product: %w", err)
	}
	if published {
		return errs.Problemf([]string{"id"}, product.InUse, "product %s has been published, so carts and orders may hold it: archive it instead", productID)
	}
	return nil
}

// DeleteProduct removes a product that was never published, with its
// variants, prices, attribute values and collection places. Images are
// refused (IN_USE) rather than deleted here: their files belong to the
// media store, which deleteProductImage cleans up.
func (s *Store) DeleteProduct(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockUnsold(ctx, tx, id); err != nil {
			return err
		}
		var images bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM product_images WHERE product_id = $1)`, id).Scan(&images); err != nil {
			return fmt.Errorf("product images: %w", err)
		}
		if images {
			return errs.Problemf([]string{"id"}, product.InUse, "product %s has images: delete them first", id)
		}
		for _, q := range []string{
			`DELETE FROM variant_prices WHERE variant_id IN (SELECT id FROM product_variants WHERE product_id = $1)`,
			`DELETE FROM product_variants WHERE product_id = $1`,
			`DELETE FROM product_attribute_values WHERE product_id = $1`,
			`DELETE FROM collection_products WHERE product_id = $1`,
			`DELETE FROM product_channel_prices WHERE product_id = $1`,
			`DELETE FROM product_ratings WHERE product_id = $1`,
			`DELETE FROM products WHERE id = $1`,
		} {
			if _, err := tx.Exec(ctx, q, id); err != nil {
				return fmt.Errorf("delete product: %w", err)
			}
		}
		return nil
	})
}

// DeleteVariant removes a variant of a product that was never published,
// and refreshes the product's price range without it.
func (s *Store) DeleteVariant(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var productID string
		err := tx.QueryRow(ctx, `SELECT product_id FROM product_variants WHERE id = $1`, id).Scan(&productID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"id"}, product.NotFound, "no variant %s", id)
		}
		if err != nil {
			return fmt.Errorf("find variant: %w", err)
		}
		if err := lockUnsold(ctx, tx, productID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM variant_prices WHERE variant_id = $1`, id); err != nil {
			return fmt.Errorf("delete variant prices: %w", err)
		}
		tag, err := tx.Exec(ctx, `DELETE FROM product_variants WHERE id = $1`, id)
		if err != nil {
			return fmt.Errorf("delete variant: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return errs.Problemf([]string{"id"}, product.NotFound, "no variant %s", id)
		}
		return refreshPrices(ctx, tx, productID)
	})
}
