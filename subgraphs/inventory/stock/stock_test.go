package stock

import (
	"errors"
	"reflect"
	"testing"
)

func TestNeedsSumsLinesOfOneVariant(t *testing.T) {
	got, err := Needs([]Line{{VariantID: "v1", Quantity: 2}, {VariantID: "v2", Quantity: 1}, {VariantID: "v1", Quantity: 3}})
	if err != nil || !reflect.DeepEqual(got, map[string]int{"v1": 5, "v2": 1}) {
		t.Fatalf("Needs = %v, %v", got, err)
	}
	if _, err := Needs([]Line{{VariantID: "v1", Quantity: 0}}); err == nil {
		t.Fatal("zero quantity accepted")
	}
}

func TestAllocate(t *testing.T) {
	levels := []Level{
		{WarehouseID: "wh_b", VariantID: "v1", OnHand: 10, Reserved: 8, Priority: 1}, // 2 available, first
		{WarehouseID: "wh_a", VariantID: "v1", OnHand: 5, Allocated: 1, Priority: 2}, // 4 available
		{WarehouseID: "wh_c", VariantID: "v1", OnHand: 100, Priority: 3},             // 100 available
		{WarehouseID: "wh_a", VariantID: "v2", OnHand: 3, Reserved: 3, Priority: 2},  // none
		{WarehouseID: "wh_b", VariantID: "v3", OnHand: 1, Priority: 1},
	}
	tests := []struct {
		name  string
		needs map[string]int
		want  []Line
		short []Shortage
	}{
		{"one warehouse covers it", map[string]int{"v1": 2}, []Line{{WarehouseID: "wh_b", VariantID: "v1", Quantity: 2}}, nil},
		{"split across warehouses in priority order", map[string]int{"v1": 7},
			[]Line{{WarehouseID: "wh_b", VariantID: "v1", Quantity: 2}, {WarehouseID: "wh_a", VariantID: "v1", Quantity: 4}, {WarehouseID: "wh_c", VariantID: "v1", Quantity: 1}}, nil},
		{"several variants", map[string]int{"v1": 1, "v3": 1}, []Line{{WarehouseID: "wh_b", VariantID: "v1", Quantity: 1}, {WarehouseID: "wh_b", VariantID: "v3", Quantity: 1}}, nil},
		{"all shortages reported", map[string]int{"v1": 107, "v2": 1, "v3": 1},
			nil, []Shortage{{"v1", 107, 106}, {"v2", 1, 0}}},
		{"unknown variant", map[string]int{"nope": 1}, nil, []Shortage{{"nope", 1, 0}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Allocate(tt.needs, levels)
			var ins *ErrInsufficient
			if tt.short != nil {
				if !errors.As(err, &ins) || !reflect.DeepEqual(ins.Shortages, tt.short) {
					t.Fatalf("err = %v, want shortages %v", err, tt.short)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Allocate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
