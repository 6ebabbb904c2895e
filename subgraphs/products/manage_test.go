package products_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// staffDo runs a staff mutation or query and returns its data; a top-level
// error fails the test.
func staffDo(t *testing.T, h http.Handler, q string, vars map[string]any) map[string]any {
	t.Helper()
	r := gqltest.Do(t, h, q, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("%s: errors: %+v", q, r.Errors)
	}
	var out map[string]any
	gqltest.Decode(t, r.Data, &out)
	return out
}

// payloadCode is the one payload error code of the single field of out, or
// "" when the payload has no errors.
func payloadCode(t *testing.T, out map[string]any) string {
	t.Helper()
	for _, p := range out {
		errs := p.(map[string]any)["errors"].([]any)
		switch len(errs) {
		case 0:
			return ""
		case 1:
			return errs[0].(map[string]any)["code"].(string)
		default:
			t.Fatalf("errors %v, want at most one", errs)
		}
	}
	t.Fatal("no payload")
	return ""
}

func TestManageMutationsNeedManageProducts(t *testing.T) {
	t.Parallel()
	h, _ := newSubgraph(t)
	for _, q := range []string{
		`mutation { createCollection(input: {name: "Nope"}) { errors { code } } }`,
		`mutation { addCollectionProducts(collectionId: "col_x", productIds: ["prd_00001"]) { errors { code } } }`,
		`mutation { createAttribute(input: {name: "Nope", kind: TEXT}) { errors { code } } }`,
		`mutation { deleteProductType(id: "pty_001") { errors { code } } }`,
		`mutation { setProductAttributeValues(productId: "prd_00001", values: [{slug: "colour", value: "red"}]) { errors { code } } }`,
		`mutation { archiveProduct(id: "prd_00001") { errors { code } } }`,
		`mutation { deleteProduct(id: "prd_00001") { errors { code } } }`,
		`mutation { deleteVariant(id: "var_000001") { errors { code } } }`,
	} {
		for name, tt := range map[string]struct {
			h    http.Handler
			code string
		}{"anonymous": {h, "UNAUTHENTICATED"}, "customer": {as(h, "usr_0001", ""), "FORBIDDEN"}} {
			if r := gqltest.Do(t, tt.h, q, nil); len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
				t.Errorf("%s %s: errors %+v, want %s", name, q, r.Errors, tt.code)
			}
		}
	}
}

func TestStaffManagesCollections(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	out := staffDo(t, staff, `mutation { createCollection(input: {name: "Winter Picks"}) { collection { id slug } errors { code } } }`, nil)
	c := out["createCollection"].(map[string]any)["collection"].(map[string]any)
	id := c["id"].(string)
	if c["slug"] != "winter-picks" {
		t.Fatalf("created %v", c)
	}
	order := func() []string {
		t.Helper()
		out := staffDo(t, staff, `query($id: ID!) { collection(id: $id) { products(first: 50) { edges { node { id } } } } }`, map[string]any{"id": id})
		var ids []string
		for _, e := range out["collection"].(map[string]any)["products"].(map[string]any)["edges"].([]any) {
			ids = append(ids, e.(map[string]any)["node"].(map[string]any)["id"].(string))
		}
		return ids
	}
	add := `mutation($id: ID!, $ps: [ID!]!, $at: Int) { addCollectionProducts(collectionId: $id, productIds: $ps, position: $at) { collection { id } errors { code field } } }`
	steps := []struct {
		q    string
		vars map[string]any
		want []string
	}{
		{add, map[string]any{"ps": []string{"prd_00003", "prd_00001", "prd_00002"}}, []string{"prd_00003", "prd_00001", "prd_00002"}},
		{add, map[string]any{"ps": []string{"prd_00004"}, "at": 1}, []string{"prd_00003", "prd_00004", "prd_00001", "prd_00002"}},
		// Already in it: moves, never twice.
		{add, map[string]any{"ps": []string{"prd_00002", "prd_00002"}, "at": 0}, []string{"prd_00002", "prd_00003", "prd_00004", "prd_00001"}},
		{add, map[string]any{"ps": []string{"prd_00005"}, "at": 99}, []string{"prd_00002", "prd_00003", "prd_00004", "prd_00001", "prd_00005"}},
		{`mutation($id: ID!, $ps: [ID!]!) { removeCollectionProducts(collectionId: $id, productIds: $ps) { errors { code } } }`,
			map[string]any{"ps": []string{"prd_00003", "prd_00009"}}, []string{"prd_00002", "prd_00004", "prd_00001", "prd_00005"}},
	}
	for i, st := range steps {
		st.vars["id"] = id
		if code := payloadCode(t, staffDo(t, staff, st.q, st.vars)); code != "" {
			t.Fatalf("step %d: %s", i, code)
		}
		if got := order(); !slices.Equal(got, st.want) {
			t.Fatalf("step %d: order %v, want %v", i, got, st.want)
		}
	}
	refusals := []struct {
		name, q string
		vars    map[string]any
		code    string
	}{
		{"unknown product", add, map[string]any{"id": id, "ps": []string{"prd_00001", "prd_nope"}}, "NOT_FOUND"},
		{"unknown collection", add, map[string]any{"id": "col_nope", "ps": []string{"prd_00001"}}, "NOT_FOUND"},
		{"negative position", add, map[string]any{"id": id, "ps": []string{"prd_00001"}, "at": -1}, "INVALID"},
		{"slug taken", `mutation { createCollection(input: {name: "Again", slug: "winter-picks"}) { errors { code } } }`, nil, "SLUG_TAKEN"},
		{"bad slug", `mutation($id: ID!) { updateCollection(id: $id, input: {slug: "Not A Slug"}) { errors { code } } }`, map[string]any{"id": id}, "INVALID_SLUG"},
		{"empty name", `mutation($id: ID!) { updateCollection(id: $id, input: {name: ""}) { errors { code } } }`, map[string]any{"id": id}, "REQUIRED"},
	}
	for _, tt := range refusals {
		if code := payloadCode(t, staffDo(t, staff, tt.q, tt.vars)); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.name, code, tt.code)
		}
	}
	if got := order(); !slices.Equal(got, steps[len(steps)-1].want) {
		t.Fatalf("a refused change moved the order: %v", got)
	}
	out = staffDo(t, staff, `mutation($id: ID!) { updateCollection(id: $id, input: {name: "Winter Best"}) { collection { name slug } errors { code } } }`, map[string]any{"id": id})
	if c := out["updateCollection"].(map[string]any)["collection"].(map[string]any); c["name"] != "Winter Best" || c["slug"] != "winter-picks" {
		t.Fatalf("updated %v", c)
	}
	out = staffDo(t, staff, `mutation($id: ID!) { deleteCollection(id: $id) { deletedId errors { code } } }`, map[string]any{"id": id})
	if out["deleteCollection"].(map[string]any)["deletedId"] != id {
		t.Fatalf("delete: %v", out)
	}
	if out := staffDo(t, staff, `query($id: ID!) { collection(id: $id) { id } product(id: "prd_00001") { id } }`, map[string]any{"id": id}); out["collection"] != nil || out["product"] == nil {
		t.Fatalf("after delete: %v", out)
	}
}

func TestStaffManagesAttributesAndTypes(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	create := func(input string) (string, string) {
		t.Helper()
		out := staffDo(t, staff, `mutation { createAttribute(input: `+input+`) { attribute { id slug kind choices } errors { code field } } }`, nil)
		p := out["createAttribute"].(map[string]any)
		if a, ok := p["attribute"].(map[string]any); ok {
			return a["id"].(string), ""
		}
		return "", payloadCode(t, out)
	}
	for _, tt := range []struct{ input, code string }{
		{`{name: "Fabric", kind: CHOICE}`, "REQUIRED"},
		{`{name: "Fabric", kind: CHOICE, choices: ["wool", "wool"]}`, "INVALID"},
		{`{name: "Fabric", kind: CHOICE, choices: [""]}`, "INVALID"},
		{`{name: "Weight", kind: NUMBER, choices: ["1"]}`, "INVALID"},
		{`{name: "Colour", kind: TEXT}`, "SLUG_TAKEN"},
		{`{name: "", kind: TEXT}`, "REQUIRED"},
	} {
		if _, code := create(tt.input); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.input, code, tt.code)
		}
	}
	fabric, _ := create(`{name: "Fabric", kind: CHOICE, choices: ["wool", "linen"]}`)
	grams, _ := create(`{name: "Weight (g)", slug: "weight-g", kind: NUMBER}`)
	foldable, _ := create(`{name: "Foldable", kind: BOOLEAN}`)
	note, _ := create(`{name: "Care note", kind: TEXT}`)

	out := staffDo(t, staff, `mutation($as: [ID!]) { createProductType(input: {name: "Blankets", attributeIds: $as}) { productType { id attributes { slug } } errors { code } } }`,
		map[string]any{"as": []string{fabric, grams}})
	pt := out["createProductType"].(map[string]any)["productType"].(map[string]any)
	typeID := pt["id"].(string)
	if fmt.Sprint(pt["attributes"]) != "[map[slug:fabric] map[slug:weight-g]]" {
		t.Fatalf("type attributes %v", pt["attributes"])
	}
	out = staffDo(t, staff, `mutation($t: ID!, $as: [ID!]!) { assignProductTypeAttributes(productTypeId: $t, attributeIds: $as) { productType { attributes { slug } } errors { code } } }`,
		map[string]any{"t": typeID, "as": []string{foldable, fabric, note}})
	if got := fmt.Sprint(out["assignProductTypeAttributes"].(map[string]any)["productType"].(map[string]any)["attributes"]); got != "[map[slug:fabric] map[slug:weight-g] map[slug:foldable] map[slug:care-note]]" {
		t.Fatalf("after assign: %s", got)
	}
	out = staffDo(t, staff, `mutation($t: ID!) { createProduct(input: {name: "Wool Throw", basePrice: "80", productTypeId: $t, categoryId: "cat_003"}) { product { id } errors { code } } }`,
		map[string]any{"t": typeID})
	productID := out["createProduct"].(map[string]any)["product"].(map[string]any)["id"].(string)

	set := `mutation($p: ID!, $vs: [AttributeValueInput!]!, $rm: [String!]) { setProductAttributeValues(productId: $p, values: $vs, remove: $rm) {
		product { attributes { attribute { slug } value } } errors { code field } } }`
	val := func(slug, v string) map[string]any { return map[string]any{"slug": slug, "value": v} }
	for _, tt := range []struct {
		name string
		vs   []any
		rm   []string
		code string
	}{
		{"choice not listed", []any{val("fabric", "silk")}, nil, "INVALID_ATTRIBUTE"},
		{"not a number", []any{val("weight-g", "heavy")}, nil, "INVALID_ATTRIBUTE"},
		{"not a boolean", []any{val("foldable", "yes")}, nil, "INVALID_ATTRIBUTE"},
		{"empty text", []any{val("care-note", "")}, nil, "INVALID_ATTRIBUTE"},
		{"not the type's", []any{val("wattage", "40")}, nil, "INVALID_ATTRIBUTE"},
		{"nothing to remove", []any{}, []string{"fabric"}, "INVALID_ATTRIBUTE"},
		// One bad value refuses the whole list.
		{"all or nothing", []any{val("fabric", "wool"), val("weight-g", "x")}, nil, "INVALID_ATTRIBUTE"},
	} {
		out := staffDo(t, staff, set, map[string]any{"p": productID, "vs": tt.vs, "rm": tt.rm})
		if code := payloadCode(t, out); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.name, code, tt.code)
		}
	}
	out = staffDo(t, staff, set, map[string]any{"p": productID, "vs": []any{val("fabric", "wool"), val("weight-g", "1250.5"), val("foldable", "true"), val("care-note", "Cold wash")}})
	if got := fmt.Sprint(out["setProductAttributeValues"].(map[string]any)["product"].(map[string]any)["attributes"]); got !=
		"[map[attribute:map[slug:fabric] value:wool] map[attribute:map[slug:weight-g] value:1250.5] map[attribute:map[slug:foldable] value:true] map[attribute:map[slug:care-note] value:Cold wash]]" {
		t.Fatalf("values %s", got)
	}
	// The search document follows: filter and facet by the new attribute.
	r := gqltest.Do(t, staff, `{ products(where: {attributes: [{slug: "fabric", values: ["wool"]}]}) { edges { node { id } }
		facets { attributes { slug values { value count } } } } }`, nil)
	if want := fmt.Sprintf(`{"products":{"edges":[{"node":{"id":"%s"}}],"facets":{"attributes":[{"slug":"fabric","values":[{"value":"wool","count":1}]},{"slug":"foldable","values":[{"value":"true","count":1}]}]}}}`, productID); string(r.Data) != want {
		t.Fatalf("search by the new attribute: %s, want %s", r.Data, want)
	}

	inUse := []struct{ name, q string }{
		{"drop a used choice", fmt.Sprintf(`mutation { updateAttribute(id: %q, input: {choices: ["linen"]}) { errors { code } } }`, fabric)},
		{"delete a used attribute", fmt.Sprintf(`mutation { deleteAttribute(id: %q) { errors { code } } }`, fabric)},
		{"unassign a used attribute", fmt.Sprintf(`mutation { unassignProductTypeAttributes(productTypeId: %q, attributeIds: [%q]) { errors { code } } }`, typeID, grams)},
		{"delete a used type", fmt.Sprintf(`mutation { deleteProductType(id: %q) { errors { code } } }`, typeID)},
	}
	for _, tt := range inUse {
		if code := payloadCode(t, staffDo(t, staff, tt.q, nil)); code != "IN_USE" {
			t.Errorf("%s: %q, want IN_USE", tt.name, code)
		}
	}
	for _, tt := range []struct{ name, q, code string }{
		{"choices on a number", fmt.Sprintf(`mutation { updateAttribute(id: %q, input: {choices: ["1"]}) { errors { code } } }`, grams), "INVALID"},
		{"unknown attribute", `mutation { deleteAttribute(id: "atr_nope") { errors { code } } }`, "NOT_FOUND"},
		{"assign unknown", fmt.Sprintf(`mutation { assignProductTypeAttributes(productTypeId: %q, attributeIds: ["atr_nope"]) { errors { code field } } }`, typeID), "NOT_FOUND"},
		{"unknown type", `mutation { updateProductType(id: "pty_nope", input: {name: "x"}) { errors { code } } }`, "NOT_FOUND"},
	} {
		if code := payloadCode(t, staffDo(t, staff, tt.q, nil)); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.name, code, tt.code)
		}
	}
	// Adding a choice and renaming keep the values.
	out = staffDo(t, staff, fmt.Sprintf(`mutation { updateAttribute(id: %q, input: {name: "Cloth", choices: ["wool", "linen", "cotton"]}) { attribute { name slug choices } errors { code } } }`, fabric), nil)
	if got := fmt.Sprint(out["updateAttribute"].(map[string]any)["attribute"]); got != "map[choices:[wool linen cotton] name:Cloth slug:fabric]" {
		t.Fatalf("updated attribute %s", got)
	}
	// Once the values go, so can the attribute, its place on the type and the type.
	staffDo(t, staff, set, map[string]any{"p": productID, "vs": []any{}, "rm": []string{"weight-g"}})
	if code := payloadCode(t, staffDo(t, staff, fmt.Sprintf(`mutation { unassignProductTypeAttributes(productTypeId: %q, attributeIds: [%q]) { productType { attributes { slug } } errors { code } } }`, typeID, grams), nil)); code != "" {
		t.Fatalf("unassign unused: %s", code)
	}
	if code := payloadCode(t, staffDo(t, staff, fmt.Sprintf(`mutation { deleteAttribute(id: %q) { deletedId errors { code } } }`, grams), nil)); code != "" {
		t.Fatalf("delete unused attribute: %s", code)
	}
	out = staffDo(t, staff, `mutation { createProductType(input: {name: "Spare"}) { productType { id } errors { code } } }`, nil)
	spare := out["createProductType"].(map[string]any)["productType"].(map[string]any)["id"].(string)
	staffDo(t, staff, fmt.Sprintf(`mutation { updateProductType(id: %q, input: {name: "Spare 2"}) { errors { code } } }`, spare), nil)
	out = staffDo(t, staff, fmt.Sprintf(`mutation { deleteProductType(id: %q) { deletedId errors { code } } }`, spare), nil)
	if out["deleteProductType"].(map[string]any)["deletedId"] != spare {
		t.Fatalf("delete unused type: %v", out)
	}
	out = staffDo(t, staff, `{ productTypes { id name } }`, nil)
	for _, pt := range out["productTypes"].([]any) {
		if pt.(map[string]any)["id"] == spare {
			t.Fatalf("deleted type still listed: %v", pt)
		}
	}
}

// TestStaffManagesBrandsCategoriesAndVariants: brands and categories are
// renamed and deleted through the API, refused while something needs them;
// a variant's SKU, name, options and weight change, within their rules.
func TestStaffManagesBrandsCategoriesAndVariants(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	id := func(out map[string]any, field, obj string) string {
		t.Helper()
		p := out[field].(map[string]any)
		if errs := p["errors"].([]any); len(errs) > 0 {
			t.Fatalf("%s: %v", field, errs)
		}
		return p[obj].(map[string]any)["id"].(string)
	}
	brand := id(staffDo(t, staff, `mutation { createBrand(input: {name: "Zephyr Test Lumen"}) { brand { id } errors { code } } }`, nil), "createBrand", "brand")
	parent := id(staffDo(t, staff, `mutation { createCategory(input: {name: "Zephyr Lighting"}) { category { id } errors { code } } }`, nil), "createCategory", "category")
	child := id(staffDo(t, staff, `mutation($p: ID!) { createCategory(input: {name: "Zephyr Lanterns", parentId: $p}) { category { id } errors { code } } }`,
		map[string]any{"p": parent}), "createCategory", "category")
	prod := id(staffDo(t, staff, `mutation($b: ID!, $c: ID!) { createProduct(input: {name: "Zephyr Brass Lantern", basePrice: "30", brandId: $b, categoryId: $c}) { product { id } errors { code } } }`,
		map[string]any{"b": brand, "c": child}), "createProduct", "product")

	other := id(staffDo(t, staff, `mutation { createBrand(input: {name: "Zephyr Other"}) { brand { id } errors { code } } }`, nil), "createBrand", "brand")
	out := staffDo(t, staff, `mutation($id: ID!) { updateBrand(id: $id, input: {name: "Zephyr & Co", slug: "zephyr-co"}) { brand { name slug } errors { code } } }`, map[string]any{"id": brand})
	if b := out["updateBrand"].(map[string]any)["brand"].(map[string]any); b["name"] != "Zephyr & Co" || b["slug"] != "zephyr-co" {
		t.Fatalf("updated brand %v", b)
	}
	out = staffDo(t, staff, `mutation($id: ID!) { updateCategory(id: $id, input: {name: "Lamps"}) { category { name slug parent { id } } errors { code } } }`, map[string]any{"id": child})
	if c := out["updateCategory"].(map[string]any)["category"].(map[string]any); c["name"] != "Lamps" || c["slug"] != "zephyr-lanterns" || c["parent"].(map[string]any)["id"] != parent {
		t.Fatalf("updated category %v", c)
	}
	for _, tt := range []struct {
		name, q string
		vars    map[string]any
		code    string
	}{
		{"brand with products", `mutation($id: ID!) { deleteBrand(id: $id) { errors { code } } }`, map[string]any{"id": brand}, "IN_USE"},
		{"category with subcategories", `mutation($id: ID!) { deleteCategory(id: $id) { errors { code } } }`, map[string]any{"id": parent}, "IN_USE"},
		{"category with products", `mutation($id: ID!) { deleteCategory(id: $id) { errors { code } } }`, map[string]any{"id": child}, "IN_USE"},
		{"unknown brand", `mutation { updateBrand(id: "brd_nope", input: {name: "X"}) { errors { code } } }`, nil, "NOT_FOUND"},
		{"unknown category", `mutation { deleteCategory(id: "cat_nope") { errors { code } } }`, nil, "NOT_FOUND"},
		{"brand slug taken", `mutation($id: ID!) { updateBrand(id: $id, input: {slug: "zephyr-co"}) { errors { code } } }`, map[string]any{"id": other}, "SLUG_TAKEN"},
		{"empty category name", `mutation($id: ID!) { updateCategory(id: $id, input: {name: ""}) { errors { code } } }`, map[string]any{"id": child}, "REQUIRED"},
	} {
		if code := payloadCode(t, staffDo(t, staff, tt.q, tt.vars)); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.name, code, tt.code)
		}
	}
	// Once the product has moved on, both go.
	if code := payloadCode(t, staffDo(t, staff, `mutation($id: ID!, $b: ID!, $c: ID!) { updateProduct(id: $id, input: {brandId: $b, categoryId: $c}) { errors { code } } }`,
		map[string]any{"id": prod, "b": other, "c": parent})); code != "" {
		t.Fatalf("move product: %s", code)
	}
	for _, del := range []struct{ q, target string }{
		{`mutation($id: ID!) { deleteBrand(id: $id) { deletedId errors { code } } }`, brand},
		{`mutation($id: ID!) { deleteCategory(id: $id) { deletedId errors { code } } }`, child},
	} {
		out := staffDo(t, staff, del.q, map[string]any{"id": del.target})
		for _, p := range out {
			if p.(map[string]any)["deletedId"] != del.target {
				t.Fatalf("%s: %v", del.q, out)
			}
		}
	}

	variant := func(sku string) string {
		return id(staffDo(t, staff, `mutation($p: ID!, $s: String!) { createVariant(input: {productId: $p, sku: $s, name: "Small"}) { variant { id } errors { code } } }`,
			map[string]any{"p": prod, "s": sku}), "createVariant", "variant")
	}
	small, large := variant("LANTERN-S"), variant("LANTERN-L")
	out = staffDo(t, staff, `mutation($id: ID!) { updateVariant(id: $id, input: {sku: "LANTERN-M", name: "Medium", weightGrams: 900, options: [{name: "size", value: "M"}]}) {
		variant { sku name weightGrams options { name value } } errors { code } } }`, map[string]any{"id": small})
	if v := out["updateVariant"].(map[string]any)["variant"].(map[string]any); v["sku"] != "LANTERN-M" || v["name"] != "Medium" || v["weightGrams"] != float64(900) ||
		fmt.Sprint(v["options"]) != "[map[name:size value:M]]" {
		t.Fatalf("updated variant %v", v)
	}
	for _, tt := range []struct{ name, input, code string }{
		{"sku taken", `{sku: "LANTERN-M"}`, "SKU_TAKEN"},
		{"empty sku", `{sku: ""}`, "INVALID"},
		{"negative weight", `{weightGrams: -1}`, "INVALID"},
		{"empty name", `{name: ""}`, "REQUIRED"},
	} {
		if code := payloadCode(t, staffDo(t, staff, `mutation($id: ID!) { updateVariant(id: $id, input: `+tt.input+`) { errors { code } } }`, map[string]any{"id": large})); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.name, code, tt.code)
		}
	}
	if code := payloadCode(t, staffDo(t, staff, `mutation { updateVariant(id: "var_nope", input: {name: "X"}) { errors { code } } }`, nil)); code != "NOT_FOUND" {
		t.Errorf("unknown variant: %q", code)
	}
	// Customers may not.
	if r := gqltest.Do(t, as(base, "usr_0001", ""), `mutation { deleteBrand(id: "brd_x") { errors { code } } }`, nil); len(r.Errors) == 0 || r.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("customer deleteBrand: %+v", r.Errors)
	}
}

// TestStaffArchivesAndDeletesProducts: a product never published goes
// outright; one that was (carts and orders may hold its variants) can only
// be archived, after which shoppers' lookups by id, the ones the orders
// subgraph prices cart lines with, find its variants without a price.
func TestStaffArchivesAndDeletesProducts(t *testing.T) {
	t.Parallel()
	base, _ := newSubgraph(t)
	staff := as(base, "usr_0002", "MANAGE_PRODUCTS")
	created := func(out map[string]any, field, obj string) string {
		t.Helper()
		p := out[field].(map[string]any)
		if errs := p["errors"].([]any); len(errs) > 0 {
			t.Fatalf("%s: %v", field, errs)
		}
		return p[obj].(map[string]any)["id"].(string)
	}
	newProduct := func(name, status string) (string, string) {
		t.Helper()
		prod := created(staffDo(t, staff, `mutation($n: String!, $s: ProductStatus!) { createProduct(input: {name: $n, basePrice: "20", status: $s}) { product { id } errors { code } } }`,
			map[string]any{"n": name, "s": status}), "createProduct", "product")
		v := created(staffDo(t, staff, `mutation($p: ID!, $s: String!) { createVariant(input: {productId: $p, sku: $s, name: "One", prices: [{channel: "default-usd", amount: "18"}]}) { variant { id } errors { code } } }`,
			map[string]any{"p": prod, "s": name + "-1"}), "createVariant", "variant")
		return prod, v
	}
	deleted := func(field, id string) {
		t.Helper()
		out := staffDo(t, staff, `mutation($id: ID!) { `+field+`(id: $id) { deletedId errors { code } } }`, map[string]any{"id": id})
		if p := out[field].(map[string]any); p["deletedId"] != id {
			t.Fatalf("%s %s: %v", field, id, p)
		}
	}

	draft, draftVariant := newProduct("Quill Draft Lamp", "DRAFT")
	second := created(staffDo(t, staff, `mutation($p: ID!) { createVariant(input: {productId: $p, sku: "QUILL-DRAFT-2", name: "Two", prices: [{channel: "default-usd", amount: "5"}]}) { variant { id } errors { code } } }`,
		map[string]any{"p": draft}), "createVariant", "variant")
	deleted("deleteVariant", second)
	out := staffDo(t, staff, `query($id: ID!) { product(id: $id) { price { amount } variants { id } } }`, map[string]any{"id": draft})
	gqltest.JSONEq(t, []byte(mustJSON(t, out)), `{"product":{"price":{"amount":"18.00"},"variants":[{"id":"`+draftVariant+`"}]}}`)
	deleted("deleteProduct", draft)
	if out := staffDo(t, staff, `query($id: ID!) { product(id: $id) { id } }`, map[string]any{"id": draft}); out["product"] != nil {
		t.Fatalf("deleted product still there: %v", out)
	}

	sold, soldVariant := newProduct("Quill Sold Lamp", "PUBLISHED")
	shopperLookup := func() string {
		t.Helper()
		r := gqltest.Do(t, base, `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id price(channel: "default-usd") { amount } } } }`,
			map[string]any{"r": []any{map[string]any{"__typename": "ProductVariant", "id": soldVariant}}})
		if len(r.Errors) > 0 {
			t.Fatalf("lookup: %+v", r.Errors)
		}
		return string(r.Data)
	}
	if got := shopperLookup(); got != `{"_entities":[{"id":"`+soldVariant+`","price":{"amount":"18.00"}}]}` {
		t.Fatalf("published variant: %s", got)
	}
	for _, tt := range []struct{ name, q, id, code string }{
		{"published product", `mutation($id: ID!) { deleteProduct(id: $id) { deletedId errors { code field } } }`, sold, "IN_USE"},
		{"variant of a published product", `mutation($id: ID!) { deleteVariant(id: $id) { deletedId errors { code field } } }`, soldVariant, "IN_USE"},
		{"unknown product", `mutation($id: ID!) { deleteProduct(id: $id) { deletedId errors { code field } } }`, "prd_nope", "NOT_FOUND"},
		{"unknown variant", `mutation($id: ID!) { deleteVariant(id: $id) { deletedId errors { code field } } }`, "var_nope", "NOT_FOUND"},
		{"archive unknown product", `mutation($id: ID!) { archiveProduct(id: $id) { product { id } errors { code field } } }`, "prd_nope", "NOT_FOUND"},
	} {
		out := staffDo(t, staff, tt.q, map[string]any{"id": tt.id})
		if code := payloadCode(t, out); code != tt.code {
			t.Errorf("%s: %q, want %s", tt.name, code, tt.code)
		}
		for _, p := range out {
			if f := fmt.Sprint(p.(map[string]any)["errors"].([]any)[0].(map[string]any)["field"]); f != "[id]" {
				t.Errorf("%s: field %s, want [id]", tt.name, f)
			}
		}
	}

	out = staffDo(t, staff, `mutation($id: ID!) { archiveProduct(id: $id) { product { id status } errors { code } } }`, map[string]any{"id": sold})
	if p := out["archiveProduct"].(map[string]any)["product"].(map[string]any); p["status"] != "ARCHIVED" {
		t.Fatalf("archived %v", p)
	}
	// The orders subgraph asks anonymously; a variant without a price is a
	// cart line "not sold in" the channel, a problem the shopper sees, and
	// the line still resolves, so the rest of the cart shows.
	if got := shopperLookup(); got != `{"_entities":[{"id":"`+soldVariant+`","price":null}]}` {
		t.Fatalf("archived variant for a shopper: %s", got)
	}
	customer := as(base, "usr_0001", "")
	r := gqltest.Do(t, customer, `query($id: ID!) { product(id: $id) { status variants { price(channel: "default-usd") { amount } } } productBySlug(slug: "quill-sold-lamp") { id }
		products(search: "Quill Sold") { edges { node { id } } } }`, map[string]any{"id": sold})
	if len(r.Errors) > 0 {
		t.Fatalf("customer: %+v", r.Errors)
	}
	gqltest.JSONEq(t, r.Data, `{"product":{"status":"ARCHIVED","variants":[{"price":null}]},"productBySlug":null,"products":{"edges":[]}}`)
	out = staffDo(t, staff, `query($id: ID!) { product(id: $id) { status variants { id price(channel: "default-usd") { amount } } } }`, map[string]any{"id": sold})
	gqltest.JSONEq(t, []byte(mustJSON(t, out)), `{"product":{"status":"ARCHIVED","variants":[{"id":"`+soldVariant+`","price":{"amount":"18.00"}}]}}`)
	if code := payloadCode(t, staffDo(t, staff, `mutation($id: ID!) { deleteProduct(id: $id) { errors { code } } }`, map[string]any{"id": sold})); code != "IN_USE" {
		t.Errorf("delete archived product: %q, want IN_USE", code)
	}
	// Selling it again is an update.
	staffDo(t, staff, `mutation($id: ID!) { updateProduct(id: $id, input: {status: PUBLISHED}) { errors { code } } }`, map[string]any{"id": sold})
	if got := shopperLookup(); got != `{"_entities":[{"id":"`+soldVariant+`","price":{"amount":"18.00"}}]}` {
		t.Fatalf("republished variant: %s", got)
	}
}
