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

const categoryCols = `id, coalesce(parent_id, ''), name, slug, position, path`

// CategoriesByIDs returns the categories with these ids, in no particular order.
func (s *Store) CategoriesByIDs(ctx context.Context, ids []string) ([]product.Category, error) {
	return s.categories(ctx, `SELECT `+categoryCols+` FROM categories WHERE id = ANY($1)`, ids)
}

// CategoryChildren returns the children of these categories, each
// parent's in position order.
func (s *Store) CategoryChildren(ctx context.Context, parentIDs []string) ([]product.Category, error) {
	return s.categories(ctx, `SELECT `+categoryCols+` FROM categories WHERE parent_id = ANY($1) ORDER BY parent_id, position, id`, parentIDs)
}

// RootCategories returns the top-level categories in position order.
func (s *Store) RootCategories(ctx context.Context) ([]product.Category, error) {
	return s.categories(ctx, `SELECT `+categoryCols+` FROM categories WHERE parent_id IS NULL ORDER BY position, id`)
}

func (s *Store) categories(ctx context.Context, query string, args ...any) ([]product.Category, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanCategory)
	if err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	return cs, nil
}

func scanCategory(row pgx.CollectableRow) (product.Category, error) {
	var c product.Category
	err := row.Scan(&c.ID, &c.ParentID, &c.Name, &c.Slug, &c.Position, &c.Path)
	return c, err
}

// lockTree serialises changes to the category tree: they are rare, and
// positions and paths of many rows change together.
func lockTree(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('products.categories'))`); err != nil {
		return fmt.Errorf("lock category tree: %w", err)
	}
	return nil
}

func categoryIn(ctx context.Context, tx pgx.Tx, id string, field []string) (product.Category, error) {
	rows, err := tx.Query(ctx, `SELECT `+categoryCols+` FROM categories WHERE id = $1`, id)
	if err != nil {
		return product.Category{}, fmt.Errorf("category: %w", err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCategory)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.Problemf(field, product.NotFound, "no category %s", id)
	}
	if err != nil {
		return c, fmt.Errorf("category: %w", err)
	}
	return c, nil
}

// CreateCategory adds a category last among its siblings.
func (s *Store) CreateCategory(ctx context.Context, name, slug, parentID string) (product.Category, error) {
	id := ids.New("cat")
	var c product.Category
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockTree(ctx, tx); err != nil {
			return err
		}
		parent := product.Category{Path: "/"}
		if parentID != "" {
			var err error
			if parent, err = categoryIn(ctx, tx, parentID, []string{"input", "parentId"}); err != nil {
				return err
			}
		}
		c = product.Category{ID: id, ParentID: parentID, Name: name, Slug: slug, Path: parent.ChildPath(id)}
		err := tx.QueryRow(ctx, `INSERT INTO categories (id, parent_id, name, slug, path, position)
			VALUES ($1, nullif($2, ''), $3, $4, $5,
			        (SELECT count(*) FROM categories WHERE parent_id IS NOT DISTINCT FROM nullif($2, '')))
			RETURNING position`, id, parentID, name, slug, c.Path).Scan(&c.Position)
		return conflict(err, "insert category")
	})
	return c, err
}

// MoveCategory puts the category under parentID ("" for the top level) at
// position among its new siblings (nil or too large: last), closing the
// gap it leaves and rewriting the paths of its subtree.
func (s *Store) MoveCategory(ctx context.Context, id, parentID string, position *int) (product.Category, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockTree(ctx, tx); err != nil {
			return err
		}
		c, err := categoryIn(ctx, tx, id, []string{"id"})
		if err != nil {
			return err
		}
		parent := product.Category{Path: "/"}
		if parentID != "" {
			if parent, err = categoryIn(ctx, tx, parentID, []string{"parentId"}); err != nil {
				return err
			}
			if parent.Within(c) {
				return errs.Problemf([]string{"parentId"}, product.CategoryCycle, "a category cannot move under itself or its descendants")
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET position = position - 1
			WHERE parent_id IS NOT DISTINCT FROM nullif($1, '') AND position > $2`, c.ParentID, c.Position); err != nil {
			return fmt.Errorf("close gap: %w", err)
		}
		var siblings int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM categories
			WHERE parent_id IS NOT DISTINCT FROM nullif($1, '') AND id <> $2`, parentID, id).Scan(&siblings); err != nil {
			return fmt.Errorf("count siblings: %w", err)
		}
		pos := siblings
		if position != nil && *position >= 0 && *position < siblings {
			pos = *position
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET position = position + 1
			WHERE parent_id IS NOT DISTINCT FROM nullif($1, '') AND id <> $2 AND position >= $3`, parentID, id, pos); err != nil {
			return fmt.Errorf("open gap: %w", err)
		}
		newPath := parent.ChildPath(id)
		if _, err := tx.Exec(ctx, `UPDATE categories SET
			parent_id = CASE WHEN id = $1 THEN nullif($2, '') ELSE parent_id END,
			position = CASE WHEN id = $1 THEN $3 ELSE position END,
			path = $4 || substr(path, length($5) + 1)
			WHERE starts_with(path, $5)`, id, parentID, pos, newPath, c.Path); err != nil {
			return fmt.Errorf("move subtree: %w", err)
		}
		return nil
	})
	if err != nil {
		return product.Category{}, err
	}
	cs, err := s.CategoriesByIDs(ctx, []string{id})
	if err != nil || len(cs) == 0 {
		return product.Category{}, fmt.Errorf("moved category %s: %v", id, err)
	}
	return cs[0], nil
}

// UpdateCategory changes the name and slug that are set (MoveCategory
// moves it).
func (s *Store) UpdateCategory(ctx context.Context, id string, name, slug *string) (product.Category, error) {
	rows, err := s.pool.Query(ctx, `UPDATE categories SET name = coalesce($2, name), slug = coalesce($3, slug)
		WHERE id = $1 RETURNING `+categoryCols, id, name, slug)
	if err != nil {
		return product.Category{}, conflict(err, "update category")
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanCategory)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, errs.Problemf([]string{"id"}, product.NotFound, "no category %s", id)
	}
	if err != nil {
		return c, conflict(err, "update category")
	}
	return c, nil
}

// DeleteCategory removes a category with no subcategories and no products
// (IN_USE otherwise) and closes the gap among its siblings.
func (s *Store) DeleteCategory(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := lockTree(ctx, tx); err != nil {
			return err
		}
		c, err := categoryIn(ctx, tx, id, []string{"id"})
		if err != nil {
			return err
		}
		var children, products int
		if err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM categories WHERE parent_id = $1),
			(SELECT count(*) FROM products WHERE category_id = $1)`, id).Scan(&children, &products); err != nil {
			return fmt.Errorf("category in use: %w", err)
		}
		switch {
		case children > 0:
			return errs.Problemf([]string{"id"}, product.InUse, "category %s has %d subcategories: move or delete them first", id, children)
		case products > 0:
			return errs.Problemf([]string{"id"}, product.InUse, "%d products are in category %s: move them first", products, id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM categories WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete category: %w", err)
		}
		if _, err := tx.Exec(ctx, `UPDATE categories SET position = position - 1
			WHERE parent_id IS NOT DISTINCT FROM nullif($1, '') AND position > $2`, c.ParentID, c.Position); err != nil {
			return fmt.Errorf("close the gap among siblings: %w", err)
		}
		return nil
	})
}
