package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/myshop/supergraph/e2e/stack"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	userstore "github.com/myshop/supergraph/subgraphs/users/postgres"
)

// TestStaffCuratesTheCatalogShoppersFindIt walks the staff catalog
// mutations through the router, the way the admin's token really travels
// (router verifies it, products verifies it again and reads its scopes),
// and checks that what staff set up is what a shopper's search and
// collection page then show.
func TestStaffCuratesTheCatalogShoppersFindIt(t *testing.T) {
	t.Parallel()
	st := stack.Start(t, stack.Options{})
	adminPassword, err := userstore.EnsureAdmin(context.Background(), st.Subgraphs["users"].Pool)
	if err != nil {
		t.Fatal(err)
	}
	admin := login(t, st.Router.URL, userstore.AdminEmail, adminPassword)
	shopper := login(t, st.Router.URL, "ada.allen.1@example.com", userstore.DemoPassword)

	// do runs q as who and decodes data into out; any top-level error or
	// payload error fails the test (payload errors are checked by callers
	// selecting errors { code } and comparing to none).
	do := func(who, q string, vars map[string]any, out any) {
		t.Helper()
		status, resp := queryAs(t, st.Router.URL, who, q, vars)
		if status != 200 || len(resp.Errors) > 0 {
			t.Fatalf("%s: status %d, errors %+v", q, status, resp.Errors)
		}
		gqltest.Decode(t, resp.Data, out)
	}
	type payloadErrors []struct{ Code string }
	noErrors := func(what string, errs payloadErrors) {
		t.Helper()
		if len(errs) > 0 {
			t.Fatalf("%s: payload errors %+v", what, errs)
		}
	}

	// An attribute, and a product type it is assigned to afterwards (not at
	// creation) so assignProductTypeAttributes is what makes it usable.
	var attr struct {
		CreateAttribute struct {
			Attribute struct{ ID, Slug string }
			Errors    payloadErrors
		}
	}
	do(admin, `mutation { createAttribute(input: {name: "Finish", kind: CHOICE, choices: ["matte", "gloss"]}) { attribute { id slug } errors { code } } }`, nil, &attr)
	noErrors("createAttribute", attr.CreateAttribute.Errors)
	attrID, slug := attr.CreateAttribute.Attribute.ID, attr.CreateAttribute.Attribute.Slug
	if slug != "finish" {
		t.Fatalf("attribute slug %q, want finish", slug)
	}

	var pt struct {
		CreateProductType struct {
			ProductType struct{ ID string }
			Errors      payloadErrors
		}
	}
	do(admin, `mutation { createProductType(input: {name: "Wall Art"}) { productType { id } errors { code } } }`, nil, &pt)
	noErrors("createProductType", pt.CreateProductType.Errors)
	typeID := pt.CreateProductType.ProductType.ID

	var assigned struct {
		AssignProductTypeAttributes struct {
			ProductType struct{ Attributes []struct{ Slug string } }
			Errors      payloadErrors
		}
	}
	do(admin, `mutation($t: ID!, $as: [ID!]!) { assignProductTypeAttributes(productTypeId: $t, attributeIds: $as) { productType { attributes { slug } } errors { code } } }`,
		map[string]any{"t": typeID, "as": []string{attrID}}, &assigned)
	noErrors("assignProductTypeAttributes", assigned.AssignProductTypeAttributes.Errors)
	if a := assigned.AssignProductTypeAttributes.ProductType.Attributes; len(a) != 1 || a[0].Slug != slug {
		t.Fatalf("type attributes after assign: %+v", a)
	}

	// A published product of that type (no existing product can take the
	// type: updateProduct does not change it), then its value.
	var created struct {
		CreateProduct struct {
			Product struct{ ID string }
			Errors  payloadErrors
		}
	}
	do(admin, `mutation($t: ID!) { createProduct(input: {name: "Harbour Print", description: "A framed harbour at dusk", basePrice: "45.00", status: PUBLISHED, productTypeId: $t, categoryId: "cat_003"}) { product { id } errors { code } } }`,
		map[string]any{"t": typeID}, &created)
	noErrors("createProduct", created.CreateProduct.Errors)
	productID := created.CreateProduct.Product.ID

	var set struct {
		SetProductAttributeValues struct {
			Product struct {
				Attributes []struct {
					Attribute struct{ Slug string }
					Value     string
				}
			}
			Errors payloadErrors
		}
	}
	do(admin, `mutation($p: ID!, $vs: [AttributeValueInput!]!) { setProductAttributeValues(productId: $p, values: $vs) { product { attributes { attribute { slug } value } } errors { code } } }`,
		map[string]any{"p": productID, "vs": []any{map[string]any{"slug": slug, "value": "matte"}}}, &set)
	noErrors("setProductAttributeValues", set.SetProductAttributeValues.Errors)
	if a := set.SetProductAttributeValues.Product.Attributes; len(a) != 1 || a[0].Attribute.Slug != slug || a[0].Value != "matte" {
		t.Fatalf("attributes after set: %+v", a)
	}

	// A collection: the new product first, then a seeded one, in that order.
	var coll struct {
		CreateCollection struct {
			Collection struct{ ID string }
			Errors     payloadErrors
		}
	}
	do(admin, `mutation { createCollection(input: {name: "Gallery Wall"}) { collection { id } errors { code } } }`, nil, &coll)
	noErrors("createCollection", coll.CreateCollection.Errors)
	collID := coll.CreateCollection.Collection.ID
	var added struct {
		AddCollectionProducts struct{ Errors payloadErrors }
	}
	do(admin, `mutation($c: ID!, $ps: [ID!]!) { addCollectionProducts(collectionId: $c, productIds: $ps) { errors { code } } }`,
		map[string]any{"c": collID, "ps": []string{productID, "prd_00001"}}, &added)
	noErrors("addCollectionProducts", added.AddCollectionProducts.Errors)

	// The shopper: search text plus the attribute filter finds exactly the
	// new product; the other choice finds nothing, so the filter is applied.
	search := `query($s: String, $v: String!) { products(search: $s, where: {attributes: [{slug: "finish", values: [$v]}]}) {
		edges { node { id name attributes { attribute { slug } value } } } totalCount } }`
	var found struct {
		Products struct {
			Edges []struct {
				Node struct {
					ID, Name   string
					Attributes []struct {
						Attribute struct{ Slug string }
						Value     string
					}
				}
			}
			TotalCount int
		}
	}
	do(shopper, search, map[string]any{"s": "harbour", "v": "matte"}, &found)
	if e := found.Products.Edges; len(e) != 1 || e[0].Node.ID != productID || found.Products.TotalCount != 1 ||
		len(e[0].Node.Attributes) != 1 || e[0].Node.Attributes[0].Value != "matte" {
		t.Fatalf("shopper's search for matte: %+v", found.Products)
	}
	// Without search text too: the filter alone selects it.
	do(shopper, search, map[string]any{"v": "matte"}, &found)
	if e := found.Products.Edges; len(e) != 1 || e[0].Node.ID != productID {
		t.Fatalf("shopper's filter for matte: %+v", found.Products)
	}
	do(shopper, search, map[string]any{"s": "harbour", "v": "gloss"}, &found)
	if len(found.Products.Edges) != 0 || found.Products.TotalCount != 0 {
		t.Fatalf("gloss matched: %+v", found.Products)
	}

	var page struct {
		Collection struct {
			Name     string
			Products struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
	}
	do(shopper, `query($c: ID!) { collection(id: $c) { name products(first: 10) { edges { node { id } } } } }`, map[string]any{"c": collID}, &page)
	var ids []string
	for _, e := range page.Collection.Products.Edges {
		ids = append(ids, e.Node.ID)
	}
	if page.Collection.Name != "Gallery Wall" || fmt.Sprint(ids) != fmt.Sprint([]string{productID, "prd_00001"}) {
		t.Fatalf("shopper's collection: %q %v", page.Collection.Name, ids)
	}

	// A shopper may not ask for staff mutations at all: a top-level
	// FORBIDDEN, not a payload error, and nothing changes.
	for _, q := range []string{
		`mutation { createAttribute(input: {name: "Sneaky", kind: TEXT}) { attribute { id } errors { code } } }`,
		fmt.Sprintf(`mutation { removeCollectionProducts(collectionId: %q, productIds: [%q]) { collection { id } errors { code } } }`, collID, productID),
		fmt.Sprintf(`mutation { setProductAttributeValues(productId: %q, values: [{slug: "finish", value: "gloss"}]) { product { id } errors { code } } }`, productID),
	} {
		status, resp := queryAs(t, st.Router.URL, shopper, q, nil)
		if status != 200 || len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
			t.Fatalf("shopper %s: status %d, data %s, errors %+v; want FORBIDDEN", q, status, resp.Data, resp.Errors)
		}
	}
	do(shopper, `query($c: ID!) { collection(id: $c) { name products(first: 10) { edges { node { id } } } } }`, map[string]any{"c": collID}, &page)
	if len(page.Collection.Products.Edges) != 2 {
		t.Fatalf("a refused removal changed the collection: %+v", page.Collection.Products.Edges)
	}
	do(shopper, search, map[string]any{"s": "harbour", "v": "matte"}, &found)
	if len(found.Products.Edges) != 1 {
		t.Fatalf("a refused value change changed the product: %+v", found.Products)
	}
}
