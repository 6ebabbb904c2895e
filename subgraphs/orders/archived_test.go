package orders_test

import (
	"context"
	"testing"

	"github.com/myshop/supergraph/subgraphs/payments/testcard"
)

// TestArchivedProductIsACartProblem: once staff archive a product in the
// products subgraph, a cart holding one of its variants still loads, shows
// the line as VARIANT_NOT_AVAILABLE and prices the rest, and checkout is
// refused with that code rather than failing.
func TestArchivedProductIsACartProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var variant, archived string
	err := e.productsDB.QueryRow(context.Background(), `SELECT id, product_id FROM product_variants
		WHERE product_id <> (SELECT product_id FROM product_variants WHERE id = 'var_000001') ORDER BY id LIMIT 1`).Scan(&variant, &archived)
	if err != nil {
		t.Fatal(err)
	}
	e.receive(t, "var_000001", 5)
	e.receive(t, variant, 5)
	cartID := e.cart(t, e.ada, "var_000001", 1, variant, 2)

	var out map[string]struct {
		Product *struct{ Status string }
		Errors  []struct{ Code string }
	}
	gql(t, e.products, e.tokens.Token("usr_staff", "MANAGE_PRODUCTS"), `mutation($id: ID!) { archiveProduct(id: $id) { product { status } errors { code } } }`,
		map[string]any{"id": archived}, &out)
	if p := out["archiveProduct"]; len(p.Errors) > 0 || p.Product.Status != "ARCHIVED" {
		t.Fatalf("archive: %+v", p)
	}

	var after struct{ MyCart cartView }
	gql(t, e.h, e.ada, `{ myCart { `+cartSelection+` } }`, nil, &after)
	c := after.MyCart
	if len(c.Lines) != 2 || c.Lines[0].UnitPrice == nil || c.Lines[1].UnitPrice != nil || c.Total == nil {
		t.Fatalf("cart after archiving: %+v", c)
	}
	if len(c.Problems) != 1 || c.Problems[0].Code != "VARIANT_NOT_AVAILABLE" || *c.Problems[0].VariantID != variant {
		t.Fatalf("problems %+v, want VARIANT_NOT_AVAILABLE for %s", c.Problems, variant)
	}
	if p := e.place(t, e.ada, cartID, testcard.Visa, "archived-1"); p.code() != "VARIANT_NOT_AVAILABLE" || p.Order != nil {
		t.Fatalf("checkout with an archived line: %+v", p)
	}
}
