package order

import (
	"slices"
	"testing"
)

func TestStateMachine(t *testing.T) {
	// Every status is in the table, and only CANCELED and EXPIRED end.
	for _, s := range Statuses {
		if !s.Valid() {
			t.Fatalf("%s missing from the table", s)
		}
		terminal := s == Canceled || s == Expired
		if s.Terminal() != terminal {
			t.Errorf("%s: terminal %v", s, s.Terminal())
		}
		// No dead ends: every state that is not terminal can be canceled.
		if !terminal && !CanMove(s, Canceled) {
			t.Errorf("%s cannot be canceled", s)
		}
		for _, to := range s.Allowed() {
			if !to.Valid() {
				t.Errorf("%s → unknown %s", s, to)
			}
		}
	}
	// The happy path walks forward one step at a time.
	path := []Status{PendingPayment, Confirmed, Processing, PartiallyShipped, Shipped, Delivered}
	for i := 1; i < len(path); i++ {
		if !CanMove(path[i-1], path[i]) {
			t.Errorf("%s → %s refused", path[i-1], path[i])
		}
	}
	for _, bad := range [][2]Status{{Delivered, Shipped}, {Canceled, Confirmed}, {Expired, Confirmed}, {Confirmed, PendingPayment}, {Shipped, Processing}, {Confirmed, Expired}} {
		if CanMove(bad[0], bad[1]) {
			t.Errorf("%s → %s allowed", bad[0], bad[1])
		}
	}
	// Every state is reachable from PENDING_PAYMENT.
	seen := map[Status]bool{PendingPayment: true}
	queue := []Status{PendingPayment}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, to := range s.Allowed() {
			if !seen[to] {
				seen[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, s := range Statuses {
		if !seen[s] {
			t.Errorf("%s unreachable", s)
		}
	}
	if a := Confirmed.Allowed(); !slices.Contains(a, Shipped) {
		t.Errorf("allowed from CONFIRMED: %v", a)
	}
}

func TestAddressValidate(t *testing.T) {
	ok := Address{FirstName: "Ada", LastName: "Allen", Street1: "1 Main St", City: "Springfield", Region: "IL", PostalCode: "62701", CountryCode: "us"}.Normalize()
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*Address){
		"no city":       func(a *Address) { a.City = "" },
		"bad country":   func(a *Address) { a.CountryCode = "XX" },
		"long country":  func(a *Address) { a.CountryCode = "USA" },
		"US w/o region": func(a *Address) { a.Region = "" },
	} {
		a := ok
		mutate(&a)
		if err := a.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	de := Address{FirstName: "A", LastName: "B", Street1: "s", City: "Berlin", PostalCode: "10115", CountryCode: "DE"}
	if err := de.Validate(); err != nil {
		t.Errorf("DE without region: %v", err)
	}
}
