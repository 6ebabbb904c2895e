package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// lockRow takes a row lock on the row of table with id, or returns a
// NOT_FOUND problem on field. Staff writes to one collection, attribute or
// type queue here, so their read-check-write steps never interleave.
func lockRow(ctx context.Context, tx pgx.Tx, table, id string, field []string) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM `+table+` WHERE id = $1 FOR UPDATE`, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.Problemf(field, product.NotFound, "no such %s %s", table, id)
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", table, err)
	}
	return nil
}

// missing returns a NOT_FOUND problem for the first of ids with no row in
// table, or nil when all exist.
func missing(ctx context.Context, tx pgx.Tx, table string, ids []string, field string) error {
	var absent []string
	err := tx.QueryRow(ctx, `SELECT coalesce(array_agg(x ORDER BY o), '{}') FROM unnest($1::text[]) WITH ORDINALITY AS t(x, o)
		WHERE NOT EXISTS (SELECT 1 FROM `+table+` WHERE id = x)`, ids).Scan(&absent)
	if err != nil {
		return fmt.Errorf("check %s: %w", table, err)
	}
	if len(absent) > 0 {
		return errs.Problemf([]string{field, fmt.Sprint(slices.Index(ids, absent[0]))}, product.NotFound, "no such %s %s", table, absent[0])
	}
	return nil
}

// CreateCollection adds an empty collection.
func (s *Store) CreateCollection(ctx context.Context, name, slug string) (product.Collection, error) {
	c := product.Collection{ID: ids.New("col"), Name: name, Slug: slug}
	if _, err := s.pool.Exec(ctx, `INSERT INTO collections (id, name, slug) VALUES ($1, $2, $3)`, c.ID, c.Name, c.Slug); err != nil {
		return product.Collection{}, conflict(err, "insert collection")
	}
	return c, nil
}

// UpdateCollection changes the name and slug that are set.
func (s *Store) UpdateCollection(ctx context.Context, id string, name, slug *string) (product.Collection, error) {
	var c product.Collection
	err := s.pool.QueryRow(ctx, `UPDATE collections SET name = coalesce($2, name), slug = coalesce($3, slug)
		WHERE id = $1 RETURNING id, name, slug`, id, name, slug).Scan(&c.ID, &c.Name, &c.Slug)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.Problemf([]string{"id"}, product.NotFound, "no collection %s", id)
	}
	if err != nil {
		return c, conflict(err, "update collection")
	}
	return c, nil
}

// DeleteCollection removes the collection and its list; the products stay.
func (s *Store) DeleteCollection(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRow(ctx, tx, "collections", id, []string{"id"}); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM collection_products WHERE collection_id = $1`, id); err != nil {
			return fmt.Errorf("delete collection products: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM collections WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete collection: %w", err)
		}
		return nil
	})
}

// AddCollectionProducts puts productIDs at position (nil: the end) in the
// order given, moving those already in the collection.
func (s *Store) AddCollectionProducts(ctx context.Context, id string, productIDs []string, position *int) (product.Collection, error) {
	productIDs = product.Dedupe(productIDs)
	return s.reorderCollection(ctx, id, func(tx pgx.Tx, list []string) ([]string, error) {
		if err := missing(ctx, tx, "products", productIDs, "productIds"); err != nil {
			return nil, err
		}
		list = slices.DeleteFunc(list, func(p string) bool { return slices.Contains(productIDs, p) })
		at := len(list)
		if position != nil {
			if *position < 0 {
				return nil, errs.Problemf([]string{"position"}, product.Invalid, "position must not be negative")
			}
			at = min(*position, len(list))
		}
		return slices.Insert(list, at, productIDs...), nil
	})
}

// RemoveCollectionProducts takes productIDs out; the others close the gap.
func (s *Store) RemoveCollectionProducts(ctx context.Context, id string, productIDs []string) (product.Collection, error) {
	return s.reorderCollection(ctx, id, func(_ pgx.Tx, list []string) ([]string, error) {
		return slices.DeleteFunc(list, func(p string) bool { return slices.Contains(productIDs, p) }), nil
	})
}

// reorderCollection rewrites a collection's list as change makes it, with
// positions 0, 1, 2, … so the manual order has no gaps or ties.
func (s *Store) reorderCollection(ctx context.Context, id string, change func(pgx.Tx, []string) ([]string, error)) (product.Collection, error) {
	var c product.Collection
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT id, name, slug FROM collections WHERE id = $1 FOR UPDATE`, id).Scan(&c.ID, &c.Name, &c.Slug)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"collectionId"}, product.NotFound, "no collection %s", id)
		}
		if err != nil {
			return fmt.Errorf("lock collection: %w", err)
		}
		rows, err := tx.Query(ctx, `SELECT product_id FROM collection_products WHERE collection_id = $1 ORDER BY position, product_id`, id)
		if err != nil {
			return fmt.Errorf("collection products: %w", err)
		}
		list, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("collection products: %w", err)
		}
		if list, err = change(tx, list); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM collection_products WHERE collection_id = $1`, id); err != nil {
			return fmt.Errorf("rewrite collection: %w", err)
		}
		_, err = tx.Exec(ctx, `INSERT INTO collection_products (collection_id, product_id, position)
			SELECT $1, p, o - 1 FROM unnest($2::text[]) WITH ORDINALITY AS t(p, o)`, id, list)
		if err != nil {
			return fmt.Errorf("rewrite collection: %w", err)
		}
		return nil
	})
	return c, err
}

// CreateAttribute adds an attribute; the caller checked kind and choices.
func (s *Store) CreateAttribute(ctx context.Context, a product.Attribute) (product.Attribute, error) {
	a.ID = ids.New("atr")
	if a.Choices == nil {
		a.Choices = []string{}
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO attributes (id, slug, name, kind, choices) VALUES ($1, $2, $3, $4, $5)`,
		a.ID, a.Slug, a.Name, string(a.Kind), a.Choices)
	if err != nil {
		return product.Attribute{}, conflict(err, "insert attribute")
	}
	return a, nil
}

// UpdateAttribute changes the name, slug and (CHOICE only) choices that
// are set. Dropping a choice some product has is refused: its value would
// no longer be valid.
func (s *Store) UpdateAttribute(ctx context.Context, id string, name, slug *string, choices []string) (product.Attribute, error) {
	var a product.Attribute
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		row, err := tx.Query(ctx, `SELECT id, slug, name, kind, choices FROM attributes WHERE id = $1 FOR UPDATE`, id)
		if err != nil {
			return fmt.Errorf("lock attribute: %w", err)
		}
		if a, err = pgx.CollectExactlyOneRow(row, scanAttribute); errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"id"}, product.NotFound, "no attribute %s", id)
		} else if err != nil {
			return fmt.Errorf("lock attribute: %w", err)
		}
		if choices != nil {
			if a.Kind != product.Choice {
				return errs.Problemf([]string{"input", "choices"}, product.Invalid, "only a CHOICE attribute has choices")
			}
			if err := product.CheckAttribute([]string{"input"}, a.Kind, choices); err != nil {
				return err
			}
			var used string
			err := tx.QueryRow(ctx, `SELECT value FROM product_attribute_values WHERE attribute_id = $1 AND value <> ALL($2::text[])
				ORDER BY value LIMIT 1`, id, choices).Scan(&used)
			if err == nil {
				return errs.Problemf([]string{"input", "choices"}, product.InUse, "products still have the choice %q", used)
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("choices in use: %w", err)
			}
		}
		row, err = tx.Query(ctx, `UPDATE attributes SET name = coalesce($2, name), slug = coalesce($3, slug),
			choices = coalesce($4, choices) WHERE id = $1 RETURNING id, slug, name, kind, choices`, id, name, slug, choices)
		if err != nil {
			return conflict(err, "update attribute")
		}
		a, err = pgx.CollectExactlyOneRow(row, scanAttribute)
		if err != nil {
			return conflict(err, "update attribute")
		}
		return nil
	})
	return a, err
}

// DeleteAttribute removes an attribute no product has a value of, and
// takes it off every product type.
func (s *Store) DeleteAttribute(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRow(ctx, tx, "attributes", id, []string{"id"}); err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM product_attribute_values WHERE attribute_id = $1)`, id).Scan(&used); err != nil {
			return fmt.Errorf("attribute in use: %w", err)
		}
		if used {
			return errs.Problemf([]string{"id"}, product.InUse, "products have values of attribute %s", id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM product_type_attributes WHERE attribute_id = $1`, id); err != nil {
			return fmt.Errorf("unassign attribute: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM attributes WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete attribute: %w", err)
		}
		return nil
	})
}

// CreateProductType adds a type with these attributes in this order.
func (s *Store) CreateProductType(ctx context.Context, name string, attributeIDs []string) (product.ProductType, error) {
	t := product.ProductType{ID: ids.New("pty"), Name: name}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO product_types (id, name) VALUES ($1, $2)`, t.ID, t.Name); err != nil {
			return fmt.Errorf("insert product type: %w", err)
		}
		return assign(ctx, tx, t.ID, attributeIDs, []string{"input", "attributeIds"})
	})
	return t, err
}

// UpdateProductType renames a type.
func (s *Store) UpdateProductType(ctx context.Context, id, name string) (product.ProductType, error) {
	t := product.ProductType{ID: id, Name: name}
	tag, err := s.pool.Exec(ctx, `UPDATE product_types SET name = $2 WHERE id = $1`, id, name)
	if err != nil {
		return t, fmt.Errorf("update product type: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return t, errs.Problemf([]string{"id"}, product.NotFound, "no product type %s", id)
	}
	return t, nil
}

// DeleteProductType removes a type no product has. The row lock waits for
// (and then sees) a product being created with the type: its foreign key
// holds a KEY SHARE lock on the type.
func (s *Store) DeleteProductType(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockRow(ctx, tx, "product_types", id, []string{"id"}); err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM products WHERE product_type_id = $1)`, id).Scan(&used); err != nil {
			return fmt.Errorf("product type in use: %w", err)
		}
		if used {
			return errs.Problemf([]string{"id"}, product.InUse, "products have product type %s", id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM product_type_attributes WHERE product_type_id = $1`, id); err != nil {
			return fmt.Errorf("delete product type attributes: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM product_types WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete product type: %w", err)
		}
		return nil
	})
}

// AssignAttributes appends attributes to a type (those it has stay put).
func (s *Store) AssignAttributes(ctx context.Context, typeID string, attributeIDs []string) (product.ProductType, error) {
	return s.changeType(ctx, typeID, func(tx pgx.Tx) error {
		return assign(ctx, tx, typeID, attributeIDs, []string{"attributeIds"})
	})
}

// UnassignAttributes takes attributes off a type, refused while products
// of the type have values of them.
func (s *Store) UnassignAttributes(ctx context.Context, typeID string, attributeIDs []string) (product.ProductType, error) {
	return s.changeType(ctx, typeID, func(tx pgx.Tx) error {
		var used string
		err := tx.QueryRow(ctx, `SELECT a.slug FROM product_attribute_values v
			JOIN products p ON p.id = v.product_id JOIN attributes a ON a.id = v.attribute_id
			WHERE p.product_type_id = $1 AND v.attribute_id = ANY($2) ORDER BY a.slug LIMIT 1`, typeID, attributeIDs).Scan(&used)
		if err == nil {
			return errs.Problemf([]string{"attributeIds"}, product.InUse, "products of the type have values of %s", used)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("attributes in use: %w", err)
		}
		_, err = tx.Exec(ctx, `DELETE FROM product_type_attributes WHERE product_type_id = $1 AND attribute_id = ANY($2)`, typeID, attributeIDs)
		if err != nil {
			return fmt.Errorf("unassign attributes: %w", err)
		}
		return nil
	})
}

// changeType runs change with the type's row locked: setAttributes takes
// a KEY SHARE lock on it, so a value is never set for an attribute being
// taken off the type at the same moment.
func (s *Store) changeType(ctx context.Context, typeID string, change func(pgx.Tx) error) (product.ProductType, error) {
	t := product.ProductType{ID: typeID}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT name FROM product_types WHERE id = $1 FOR UPDATE`, typeID).Scan(&t.Name)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"productTypeId"}, product.NotFound, "no product type %s", typeID)
		}
		if err != nil {
			return fmt.Errorf("lock product type: %w", err)
		}
		return change(tx)
	})
	return t, err
}

func assign(ctx context.Context, tx pgx.Tx, typeID string, attributeIDs []string, field []string) error {
	attributeIDs = product.Dedupe(attributeIDs)
	if err := missing(ctx, tx, "attributes", attributeIDs, field[len(field)-1]); err != nil {
		var p *errs.Problem
		if errors.As(err, &p) {
			p.Field = append(field[:len(field)-1:len(field)-1], p.Field...)
		}
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO product_type_attributes (product_type_id, attribute_id, position)
		SELECT $1, a, (SELECT coalesce(max(position) + 1, 0) FROM product_type_attributes WHERE product_type_id = $1) + o - 1
		FROM unnest($2::text[]) WITH ORDINALITY AS t(a, o)
		ON CONFLICT (product_type_id, attribute_id) DO NOTHING`, typeID, attributeIDs)
	if err != nil {
		return fmt.Errorf("assign attributes: %w", err)
	}
	return nil
}

// SetAttributeValues sets and removes a product's attribute values, each
// checked against its attribute's kind and the product's type.
func (s *Store) SetAttributeValues(ctx context.Context, productID string, values []product.AttributeInput, remove []string) (product.Product, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var typeID string
		err := tx.QueryRow(ctx, `SELECT coalesce(product_type_id, '') FROM products WHERE id = $1 FOR NO KEY UPDATE`, productID).Scan(&typeID)
		if errors.Is(err, pgx.ErrNoRows) {
			return errs.Problemf([]string{"productId"}, product.NotFound, "no product %s", productID)
		}
		if err != nil {
			return fmt.Errorf("lock product: %w", err)
		}
		for i, slug := range remove {
			tag, err := tx.Exec(ctx, `DELETE FROM product_attribute_values v USING attributes a
				WHERE v.product_id = $1 AND v.attribute_id = a.id AND a.slug = $2`, productID, slug)
			if err != nil {
				return fmt.Errorf("remove attribute value: %w", err)
			}
			if tag.RowsAffected() == 0 {
				return errs.Problemf([]string{"remove", fmt.Sprint(i)}, product.InvalidAttribute, "the product has no value of %q", slug)
			}
		}
		return writeAttributes(ctx, tx, productID, typeID, values, []string{"values"})
	})
	if err != nil {
		return product.Product{}, err
	}
	return s.productForStaff(ctx, productID)
}
