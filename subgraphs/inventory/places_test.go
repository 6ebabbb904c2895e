package inventory_test

import (
	"fmt"
	"testing"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// TestStaffManagesWarehousesAndSuppliers: warehouses and suppliers are
// created and changed through the API with every rule checked, and an
// inactive warehouse takes no new reservations.
func TestStaffManagesWarehousesAndSuppliers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const createWarehouse = `mutation($in: CreateWarehouseInput!) { createWarehouse(input: $in) {
		warehouse { id name country countries priority active } errors { field code } } }`
	good := func() map[string]any {
		return map[string]any{"name": "Lyon", "street": "1 Rue de la Paix", "city": "Lyon", "postalCode": "69001",
			"country": "fr", "countries": []string{"FR", "be"}, "priority": 5}
	}
	r := e.mutate(t, e.staff, createWarehouse, "createWarehouse", map[string]any{"in": good()})
	w, _ := r["warehouse"].(map[string]any)
	if code(r) != "" || w["country"] != "FR" || fmt.Sprint(w["countries"]) != "[FR BE]" || w["priority"] != float64(5) || w["active"] != true {
		t.Fatalf("created %v", r)
	}
	id := w["id"].(string)
	bad := []struct {
		name, key string
		value     any
		field     string
	}{
		{"unknown country", "country", "XX", "input.country"},
		{"no countries", "countries", []string{}, "input.countries"},
		{"unknown ship-to country", "countries", []string{"FR", "ZZ"}, "input.countries.1"},
		{"a country twice", "countries", []string{"FR", "fr"}, "input.countries.1"},
		{"negative priority", "priority", -1, "input.priority"},
		{"empty city", "city", " ", "input.city"},
	}
	for _, tt := range bad {
		in := good()
		in[tt.key] = tt.value
		r := e.mutate(t, e.staff, createWarehouse, "createWarehouse", map[string]any{"in": in})
		if errs, _ := r["errors"].([]any); code(r) != "INVALID" || len(errs) != 1 || fieldPath(errs[0]) != tt.field {
			t.Errorf("%s: %v, want INVALID at %s", tt.name, r, tt.field)
		}
	}
	const update = `mutation($id: ID!, $in: UpdateWarehouseInput!) { updateWarehouse(id: $id, input: $in) { warehouse { name countries active } errors { field code } } }`
	r = e.mutate(t, e.staff, update, "updateWarehouse", map[string]any{"id": id, "in": map[string]any{"name": "Lyon Sud", "active": false}})
	if w := r["warehouse"].(map[string]any); code(r) != "" || w["name"] != "Lyon Sud" || w["active"] != false || fmt.Sprint(w["countries"]) != "[FR BE]" {
		t.Fatalf("updated %v", r)
	}
	if r := e.mutate(t, e.staff, update, "updateWarehouse", map[string]any{"id": id, "in": map[string]any{"countries": []string{"QQ"}}}); code(r) != "INVALID" {
		t.Errorf("bad update: %v", r)
	}
	if r := e.mutate(t, e.staff, update, "updateWarehouse", map[string]any{"id": "wh_nope", "in": map[string]any{"name": "X"}}); code(r) != "NOT_FOUND" {
		t.Errorf("unknown warehouse: %v", r)
	}
	// Stock in the inactive warehouse is not reserved.
	e.receive(t, id, "var_lyon", 3)
	if r := e.reserve(t, "lyon", line("var_lyon", 1)); code(r) != "INSUFFICIENT_STOCK" {
		t.Errorf("reserved from an inactive warehouse: %v", r)
	}

	const createSupplier = `mutation($in: CreateSupplierInput!) { createSupplier(input: $in) { supplier { id name contactEmail leadTimeDays } errors { field code } } }`
	r = e.mutate(t, e.staff, createSupplier, "createSupplier", map[string]any{"in": map[string]any{"name": "Acme", "contactEmail": "buy@acme.example", "leadTimeDays": 7}})
	s, _ := r["supplier"].(map[string]any)
	if code(r) != "" || s["name"] != "Acme" || s["leadTimeDays"] != float64(7) {
		t.Fatalf("created supplier %v", r)
	}
	for _, in := range []map[string]any{
		{"name": "", "contactEmail": "a@b.c", "leadTimeDays": 1},
		{"name": "X", "contactEmail": "not an email", "leadTimeDays": 1},
		{"name": "X", "contactEmail": "a@b.c", "leadTimeDays": -1},
	} {
		if r := e.mutate(t, e.staff, createSupplier, "createSupplier", map[string]any{"in": in}); code(r) != "INVALID" {
			t.Errorf("%v: %v", in, r)
		}
	}
	r = e.mutate(t, e.staff, `mutation($id: ID!) { updateSupplier(id: $id, input: {leadTimeDays: 10}) { supplier { name leadTimeDays } errors { code } } }`, "updateSupplier", map[string]any{"id": s["id"]})
	if s := r["supplier"].(map[string]any); code(r) != "" || s["name"] != "Acme" || s["leadTimeDays"] != float64(10) {
		t.Fatalf("updated supplier %v", r)
	}
	// Shoppers may not.
	if resp := gqltest.DoAs(t, e.h, e.tokens.Token("usr_0001"), createSupplier, map[string]any{"in": map[string]any{"name": "X", "contactEmail": "a@b.c", "leadTimeDays": 1}}); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("a shopper created a supplier: %+v", resp)
	}
}

// fieldPath joins a payload error's field path with dots.
func fieldPath(e any) string {
	var out string
	for i, p := range e.(map[string]any)["field"].([]any) {
		if i > 0 {
			out += "."
		}
		out += p.(string)
	}
	return out
}
