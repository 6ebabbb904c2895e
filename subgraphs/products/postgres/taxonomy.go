package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// BrandsByIDs returns the brands with these ids, in no particular order.
func (s *Store) BrandsByIDs(ctx context.Context, ids []string) ([]product.Brand, error) {
	return s.brands(ctx, `SELECT id, name, slug FROM brands WHERE id = ANY($1)`, ids)
}

// Brands returns up to first+1 brands after the id after, in id order: the
// extra row says there is a next page.
func (s *Store) Brands(ctx context.Context, after string, first int) ([]product.Brand, error) {
	return s.brands(ctx, `SELECT id, name, slug FROM brands WHERE id > $1 ORDER BY id LIMIT $2`, after, first+1)
}

func (s *Store) brands(ctx context.Context, query string, args ...any) ([]product.Brand, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("brands: %w", err)
	}
	bs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.Brand, error) {
		var b product.Brand
		err := row.Scan(&b.ID, &b.Name, &b.Slug)
		return b, err
	})
	if err != nil {
		return nil, fmt.Errorf("brands: %w", err)
	}
	return bs, nil
}

// CreateBrand adds a brand.
func (s *Store) CreateBrand(ctx context.Context, name, slug string) (product.Brand, error) {
	b := product.Brand{ID: ids.New("brd"), Name: name, Slug: slug}
	_, err := s.pool.Exec(ctx, `INSERT INTO brands (id, name, slug) VALUES ($1, $2, $3)`, b.ID, b.Name, b.Slug)
	if err != nil {
		return product.Brand{}, conflict(err, "insert brand")
	}
	return b, nil
}

// ProductTypes returns every product type in id order; there are few.
func (s *Store) ProductTypes(ctx context.Context, ids []string) ([]product.ProductType, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name FROM product_types WHERE $1::text[] IS NULL OR id = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, fmt.Errorf("product types: %w", err)
	}
	ts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.ProductType, error) {
		var t product.ProductType
		err := row.Scan(&t.ID, &t.Name)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("product types: %w", err)
	}
	return ts, nil
}

// TypeAttribute is an attribute of a product type.
type TypeAttribute struct {
	TypeID    string
	Attribute product.Attribute
}

// AttributesByTypes returns the attributes of these product types, each
// type's in position order.
func (s *Store) AttributesByTypes(ctx context.Context, typeIDs []string) ([]TypeAttribute, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.product_type_id, a.id, a.slug, a.name, a.kind, a.choices
		FROM product_type_attributes t JOIN attributes a ON a.id = t.attribute_id
		WHERE t.product_type_id = ANY($1) ORDER BY t.product_type_id, t.position`, typeIDs)
	if err != nil {
		return nil, fmt.Errorf("attributes by types: %w", err)
	}
	as, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (TypeAttribute, error) {
		var ta TypeAttribute
		var kind string
		err := row.Scan(&ta.TypeID, &ta.Attribute.ID, &ta.Attribute.Slug, &ta.Attribute.Name, &kind, &ta.Attribute.Choices)
		ta.Attribute.Kind = product.AttributeKind(kind)
		return ta, err
	})
	if err != nil {
		return nil, fmt.Errorf("attributes by types: %w", err)
	}
	return as, nil
}

// AttributeValuesByProducts returns the attribute values of these products,
// in their type's attribute order.
func (s *Store) AttributeValuesByProducts(ctx context.Context, productIDs []string) ([]product.AttributeValue, error) {
	rows, err := s.pool.Query(ctx, `SELECT v.product_id, a.id, a.slug, a.name, a.kind, a.choices, v.value
		FROM product_attribute_values v
		JOIN attributes a ON a.id = v.attribute_id
		JOIN products p ON p.id = v.product_id
		LEFT JOIN product_type_attributes t ON t.product_type_id = p.product_type_id AND t.attribute_id = a.id
		WHERE v.product_id = ANY($1) ORDER BY v.product_id, t.position, a.slug`, productIDs)
	if err != nil {
		return nil, fmt.Errorf("attribute values: %w", err)
	}
	vs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (product.AttributeValue, error) {
		var v product.AttributeValue
		var kind string
		err := row.Scan(&v.ProductID, &v.Attribute.ID, &v.Attribute.Slug, &v.Attribute.Name, &kind, &v.Attribute.Choices, &v.Value)
		v.Attribute.Kind = product.AttributeKind(kind)
		return v, err
	})
	if err != nil {
		return nil, fmt.Errorf("attribute values: %w", err)
	}
	return vs, nil
}

func scanAttribute(row pgx.CollectableRow) (product.Attribute, error) {
	var a product.Attribute
	var kind string
	err := row.Scan(&a.ID, &a.Slug, &a.Name, &kind, &a.Choices)
	a.Kind = product.AttributeKind(kind)
	return a, err
}

// CollectionByID returns the collection, or ok false.
func (s *Store) CollectionByID(ctx context.Context, id string) (product.Collection, bool, error) {
	var c product.Collection
	err := s.pool.QueryRow(ctx, `SELECT id, name, slug FROM collections WHERE id = $1`, id).Scan(&c.ID, &c.Name, &c.Slug)
	if err == pgx.ErrNoRows {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("collection: %w", err)
	}
	return c, true, nil
}

// UpdateBrand changes the name and slug that are set.
func (s *Store) UpdateBrand(ctx context.Context, id string, name, slug *string) (product.Brand, error) {
	var b product.Brand
	err := s.pool.QueryRow(ctx, `UPDATE brands SET name = coalesce($2, name), slug = coalesce($3, slug)
		WHERE id = $1 RETURNING id, name, slug`, id, name, slug).Scan(&b.ID, &b.Name, &b.Slug)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, errs.Problemf([]string{"id"}, product.NotFound, "no brand %s", id)
	}
	if err != nil {
		return b, conflict(err, "update brand")
	}
	return b, nil
}

// DeleteBrand removes a brand no product names; IN_USE while one does.
func (s *Store) DeleteBrand(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRow(ctx, tx, "brands", id, []string{"id"}); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM products WHERE brand_id = $1`, id).Scan(&n); err != nil {
			return fmt.Errorf("brand in use: %w", err)
		}
		if n > 0 {
			return errs.Problemf([]string{"id"}, product.InUse, "%d products have brand %s: give them another brand first", n, id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM brands WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete brand: %w", err)
		}
		return nil
	})
}
