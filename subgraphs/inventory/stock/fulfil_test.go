package stock

import (
	"errors"
	"reflect"
	"testing"
)

func TestReservationFulfil(t *testing.T) {
	converted := func() Reservation {
		return Reservation{ID: "res_1", Status: Converted, Lines: []Line{
			{WarehouseID: "wh_eu", VariantID: "var_1", Quantity: 2},
			{WarehouseID: "wh_us", VariantID: "var_1", Quantity: 3},
			{WarehouseID: "wh_us", VariantID: "var_2", Quantity: 1, Fulfilled: 1},
		}}
	}
	for _, tt := range []struct {
		name      string
		r         Reservation
		needs     map[string]int
		err       error
		fulfilled []int
		status    Status
	}{
		{"lines in order, the rest stays", converted(), map[string]int{"var_1": 3}, nil, []int{2, 1, 1}, Converted},
		{"the last units ship it", converted(), map[string]int{"var_1": 5}, nil, []int{2, 3, 1}, Fulfilled},
		{"more than is left", converted(), map[string]int{"var_2": 1}, ErrOverFulfil, nil, Converted},
		{"a variant not on it", converted(), map[string]int{"var_9": 1}, ErrOverFulfil, nil, Converted},
		{"not converted", Reservation{Status: Active, Lines: converted().Lines}, map[string]int{"var_1": 1}, ErrWrongStatus, nil, Active},
	} {
		needs := map[string]int{}
		for k, v := range tt.needs {
			needs[k] = v
		}
		err := tt.r.Fulfil(needs)
		if !errors.Is(err, tt.err) || tt.r.Status != tt.status {
			t.Errorf("%s: %v, status %s; want %v, %s", tt.name, err, tt.r.Status, tt.err, tt.status)
			continue
		}
		if !reflect.DeepEqual(needs, tt.needs) {
			t.Errorf("%s: Fulfil changed the caller's needs to %v", tt.name, needs)
		}
		if err == nil {
			var got []int
			for _, l := range tt.r.Lines {
				got = append(got, l.Fulfilled)
			}
			if !reflect.DeepEqual(got, tt.fulfilled) {
				t.Errorf("%s: fulfilled %v, want %v", tt.name, got, tt.fulfilled)
			}
		}
	}
}
