package demo

import (
	"reflect"
	"testing"
	"time"
)

var until = time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)

func TestSameSeedSameWorld(t *testing.T) {
	a, err := New(Options{Seed: 7, Scale: 1, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New(Options{Seed: 7, Scale: 1, Until: until})
	a.variants, a.products, b.variants, b.products = nil, nil, nil, nil
	if !reflect.DeepEqual(a, b) {
		t.Fatal("two worlds from one seed differ")
	}
	c, _ := New(Options{Seed: 8, Scale: 1, Until: until})
	if reflect.DeepEqual(a.Orders, c.Orders) {
		t.Fatal("another seed gave the same orders")
	}
}

func TestScaleOneHasEveryCase(t *testing.T) {
	for _, seed := range []uint64{DefaultSeed, 1, 2, 3} {
		w, err := New(Options{Seed: seed, Scale: 1, Until: until})
		if err != nil {
			t.Fatal(err)
		}
		if len(w.Catalog.Products) != ProductsPerScale || len(w.Customers) != CustomersPerScale || len(w.Orders) != OrdersPerScale ||
			len(w.Catalog.Categories) != 30 || len(w.Catalog.Brands) != 15 || len(w.Staff) != 6 {
			t.Fatalf("seed %d: %d products, %d customers, %d orders, %d categories, %d brands, %d staff", seed, len(w.Catalog.Products),
				len(w.Customers), len(w.Orders), len(w.Catalog.Categories), len(w.Catalog.Brands), len(w.Staff))
		}
		seen := map[string]int{}
		for _, o := range w.Orders {
			seen[o.Status]++
			seen["payment "+o.PaymentStatus]++
			seen["channel "+o.Channel]++
		}
		for _, want := range append(append([]string{}, Statuses...), "payment AUTHORIZED", "payment PAID", "payment PARTIALLY_REFUNDED",
			"payment REFUNDED", "payment VOIDED", "channel default-usd", "channel eu-eur", "channel jp-jpy") {
			if seen[want] == 0 {
				t.Errorf("seed %d: no order with %s (%v)", seed, want, seen)
			}
		}
		levels := map[string]int{}
		for _, s := range w.Stock {
			switch free := s.Free; {
			case free == 0:
				levels["sold out"]++
			case free == 1:
				levels["last one"]++
			case free <= s.Threshold:
				levels["low"]++
			}
		}
		if len(levels) != 3 {
			t.Errorf("seed %d: stock levels %v, want sold out, last one and low", seed, levels)
		}
	}
}

// The history is what the services would have written: every order's
// story holds together.
func TestOrdersHoldTogether(t *testing.T) {
	w, err := New(Options{Scale: 2, Until: until})
	if err != nil {
		t.Fatal(err)
	}
	start := until.AddDate(0, 0, -HistoryDays)
	ids := map[string]bool{}
	for _, o := range w.Orders {
		if ids[o.ID] {
			t.Fatalf("%s twice", o.ID)
		}
		ids[o.ID] = true
		if o.PlacedAt.Before(start) || !o.PlacedAt.Before(until) {
			t.Fatalf("%s placed %s, outside the history", o.ID, o.PlacedAt)
		}
		var sub int64
		for _, l := range o.Lines {
			v := w.Variant(l.VariantID)
			p, ok := v.PriceIn(o.Channel)
			if !ok || p.AmountMinor != l.UnitPriceMinor || p.Currency != o.Currency || !w.Product(v.ProductID).Published(o.PlacedAt) {
				t.Fatalf("%s sells %s at %d %s in %s, not on sale so", o.ID, l.VariantID, l.UnitPriceMinor, o.Currency, o.Channel)
			}
			sub += l.UnitPriceMinor * int64(l.Quantity)
			if o.Shipped(l.VariantID) > l.Quantity {
				t.Fatalf("%s shipped more %s than ordered", o.ID, l.VariantID)
			}
		}
		if sub != o.SubtotalMinor || o.TotalMinor != sub+o.ShippingMinor {
			t.Fatalf("%s: total %d is not %d + shipping %d", o.ID, o.TotalMinor, sub, o.ShippingMinor)
		}
		var captured, refunded int64
		for _, tx := range o.Payment.Transactions {
			switch {
			case tx.Kind == "CAPTURE" && tx.Outcome == "SUCCEEDED":
				captured += tx.AmountMinor
			case tx.Kind == "REFUND" && tx.Outcome == "SUCCEEDED":
				refunded += tx.AmountMinor
			}
		}
		if captured > o.TotalMinor || refunded > captured {
			t.Fatalf("%s: captured %d of %d, refunded %d", o.ID, captured, o.TotalMinor, refunded)
		}
		for k, h := range o.History {
			if h.Version != k+1 || (k > 0 && (h.From != o.History[k-1].To || h.At.Before(o.History[k-1].At))) {
				t.Fatalf("%s: history step %d %+v does not follow", o.ID, k, h)
			}
		}
		if o.Status != o.History[len(o.History)-1].To {
			t.Fatalf("%s: status %s, history ends %s", o.ID, o.Status, o.History[len(o.History)-1].To)
		}
		if o.SessionID == "" {
			t.Fatalf("%s has no checkout session", o.ID)
		}
	}
	for _, s := range w.Stock {
		if s.Free < 0 || s.Allocated < 0 || s.Reserved < 0 || s.Sold < 0 {
			t.Fatalf("%s in %s: %+v", s.VariantID, s.WarehouseID, s)
		}
	}
}

func TestScaleIsChecked(t *testing.T) {
	for _, scale := range []int{0, -1, MaxScale + 1} {
		if _, err := New(Options{Scale: scale}); err == nil {
			t.Errorf("scale %d accepted", scale)
		}
	}
}

// A bigger world extends a smaller one's catalog and customers: the first
// unit is the same, so scale 1's demo logins and products exist at 50.
func TestScaleExtendsTheCatalog(t *testing.T) {
	one, _ := CatalogOnly(Options{Scale: 1, Until: until})
	three, _ := CatalogOnly(Options{Scale: 3, Until: until})
	if !reflect.DeepEqual(one.Catalog.Products, three.Catalog.Products[:ProductsPerScale]) {
		t.Fatal("scale 3's first products differ from scale 1's")
	}
	if one.Customers[0].Email != three.Customers[0].Email {
		t.Fatal("first customer differs")
	}
}
