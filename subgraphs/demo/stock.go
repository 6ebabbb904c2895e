package demo

import (
	"math/rand/v2"
	"slices"
)

// Warehouse is a warehouse and the countries it ships to, lower priority
// first.
type Warehouse struct {
	ID, Name, Street, City, PostalCode, Country string
	Countries                                   []string
	Priority                                    int
}

// Supplier sells stock to the shop; Items are its prices per variant.
type Supplier struct {
	ID, Name, Email string
	LeadTimeDays    int
}

// SupplierItem is what a supplier charges for a variant (USD).
type SupplierItem struct {
	SupplierID, VariantID string
	CostMinor             int64
}

// PurchaseOrder is stock ordered from a supplier.
type PurchaseOrder struct {
	ID, SupplierID, WarehouseID, Status string
	VariantID                           string
	Ordered, Received                   int
}

// Stock is one variant in one warehouse after the history: Free units on
// sale, Allocated to open orders, Reserved for orders awaiting payment,
// and Sold (shipped) during the history.
type Stock struct {
	WarehouseID, VariantID string
	Free, Allocated        int
	Reserved, Sold         int
	Threshold              int
	SupplierItem           SupplierItem
}

// OnHand is the units in the warehouse now.
func (s Stock) OnHand() int { return s.Free + s.Allocated + s.Reserved }

// Opening is the units received before the history, so that the
// movements (this receipt, then the sales) add up to OnHand.
func (s Stock) Opening() int { return s.OnHand() + s.Sold }

// LowStockThreshold is every demo stock level's threshold.
const LowStockThreshold = 5

var warehouses = []Warehouse{
	{"wh_us_east", "US East (Newark)", "100 Port St", "Newark", "07114", "US", []string{"US", "CA"}, 10},
	{"wh_us_west", "US West (Reno)", "5 Desert Way", "Reno", "89502", "US", []string{"US", "CA"}, 20},
	{"wh_eu", "EU Central (Leipzig)", "Am Flughafen 1", "Leipzig", "04435", "DE", []string{"DE", "FR", "NL", "IT", "ES", "GB", "SE", "CH", "IE"}, 10},
	{"wh_jp", "Japan (Chiba)", "1-1 Makuhari", "Chiba", "261-0023", "JP", []string{"JP"}, 10},
}

var suppliers = []Supplier{
	{"sup_acme", "Acme Wholesale", "orders@acme.example", 7},
	{"sup_north", "Northwind Traders", "buying@northwind.example", 14},
	{"sup_kanto", "Kanto Supply", "sales@kanto.example", 21},
}

var purchases = []PurchaseOrder{
	{"po_demo_draft", "sup_acme", "wh_us_east", "DRAFT", "var_000050", 40, 0},
	{"po_demo_ordered", "sup_north", "wh_eu", "ORDERED", "var_000050", 40, 0},
}

// openingStock stocks every variant: in US East always and in each other
// warehouse two times in three; some sold out, some with one left, some
// below the threshold, so every state has an example. Orders then add
// their units on top (see allocate), so what is on sale stays as drawn.
func (w *World) openingStock() []Stock {
	rng := rand.New(rand.NewPCG(6, w.Seed))
	var out []Stock
	n := w.Variants()
	for i := 1; i <= n; i++ {
		v := VariantID(i)
		first := len(out)
		for k, wh := range warehouses {
			if k > 0 && rng.IntN(3) == 0 {
				continue // not every warehouse carries every variant
			}
			qty := rng.IntN(120)
			switch {
			case i%50 == 0:
				qty = 0 // sold out
			case i%37 == 0:
				qty = 1 // the last one
			case i%23 == 0:
				qty = 3 // below the threshold
			}
			out = append(out, Stock{WarehouseID: wh.ID, VariantID: v, Free: qty, Threshold: LowStockThreshold})
		}
		item := SupplierItem{SupplierID: suppliers[i%len(suppliers)].ID, VariantID: v, CostMinor: int64(200 + rng.IntN(5000))}
		for k := first; k < len(out); k++ {
			out[k].SupplierItem = item
		}
	}
	return out
}

// SupplierItems are the supplier prices, one per variant.
func (w *World) SupplierItems() []SupplierItem {
	var out []SupplierItem
	for _, s := range w.Stock {
		if len(out) == 0 || out[len(out)-1].VariantID != s.VariantID {
			out = append(out, s.SupplierItem)
		}
	}
	return out
}

// stockFor is the index in w.Stock of the level an order shipping to
// country takes variant from: a warehouse that ships there, by priority,
// else the first that carries it (shipped abroad).
func (w *World) stockFor(byVariant map[string][]int, variant, country string) int {
	rows := byVariant[variant]
	best := rows[0]
	bestPrio := 1 << 30
	for _, r := range rows {
		wh := warehouseByID(w.Stock[r].WarehouseID)
		if slices.Contains(wh.Countries, country) && wh.Priority < bestPrio {
			best, bestPrio = r, wh.Priority
		}
	}
	return best
}

func warehouseByID(id string) Warehouse {
	for _, wh := range warehouses {
		if wh.ID == id {
			return wh
		}
	}
	return Warehouse{}
}
