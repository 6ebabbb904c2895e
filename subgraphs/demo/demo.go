// Package demo is the demo data generator's model: one world (customers,
// staff, catalog, stock, orders with payments and fulfilments, shopping
// sessions), built deterministically from a seed and a scale, that every
// subgraph's seed writes its own share of. No subgraph reads another's
// tables, so the facts they must agree on (which variant an order bought,
// at what price, from which warehouse) are decided here, once.
package demo

import (
	"fmt"
	"sync"
	"time"
)

// Per unit of scale. At scale 1 the world is the one API-CONVENTIONS.md
// describes; scale 50 is for load tests.
const (
	ProductsPerScale  = 200
	CustomersPerScale = 150
	OrdersPerScale    = 1200
	// HistoryDays is how far back orders and shopping sessions go.
	HistoryDays = 90
	// MaxScale keeps a typo from filling the disk.
	MaxScale = 1000
)

// DefaultSeed is the seed of the demo that `make run` writes.
const DefaultSeed = 2026

// Options choose a world.
type Options struct {
	Seed  uint64
	Scale int
	// Until is the end of the history: orders and sessions fall in the
	// HistoryDays before it, so dashboards' "last 30 days" show data.
	// The same seed, scale and Until give the same world.
	Until time.Time
}

// World is everything the demo holds.
type World struct {
	Options
	Channels   []Channel
	Customers  []Customer
	Staff      []Staff
	Catalog    Catalog
	Warehouses []Warehouse
	Suppliers  []Supplier
	Stock      []Stock
	Purchases  []PurchaseOrder
	Orders     []Order
	Sessions   []Session

	variants map[string]*Variant
	products map[string]*Product
}

// Channel is a sales channel: prices and orders are in its currency.
type Channel struct {
	Slug, Currency string
	// Countries customers of the channel live in; the first is the usual.
	Countries []string
}

// Channels are the three demo channels (the products migration creates
// them).
var Channels = []Channel{
	{"default-usd", "USD", []string{"US", "CA"}},
	{"eu-eur", "EUR", []string{"DE", "FR", "NL"}},
	{"jp-jpy", "JPY", []string{"JP"}},
}

// New builds the world o describes.
func New(o Options) (*World, error) {
	w, err := CatalogOnly(o)
	if err != nil {
		return nil, err
	}
	w.Warehouses, w.Suppliers, w.Purchases = warehouses, suppliers, purchases
	w.Stock = w.openingStock()
	w.orders()
	w.sessions()
	return w, nil
}

func newWorld(o Options) (*World, error) {
	if o.Scale < 1 || o.Scale > MaxScale {
		return nil, fmt.Errorf("demo: scale must be 1 to %d, got %d", MaxScale, o.Scale)
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Until.IsZero() {
		o.Until = Today()
	}
	o.Until = o.Until.UTC()
	return &World{Options: o, Channels: Channels}, nil
}

// CatalogOnly is the world o describes with only its customers and
// catalog: for catalog benchmarks at scales (500: 100,000 products) where
// the orders and sessions would cost gigabytes of memory (about 16 MiB per
// unit of scale) for nothing.
func CatalogOnly(o Options) (*World, error) {
	w, err := newWorld(o)
	if err != nil {
		return nil, err
	}
	w.Customers, w.Staff = people(w.Until, w.Scale)
	w.Catalog = newCatalog(w.Seed, w.Scale)
	w.index()
	return w, nil
}

// Today is midnight UTC of the current day: the default end of history.
func Today() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }

var (
	defaultOnce  sync.Once
	defaultWorld *World
)

// Default is the scale-1 world with the default seed, ending today: what
// a subgraph started with SEED_DEMO_DATA writes. Built once per process
// (devstack runs all seven subgraphs in one).
func Default() *World {
	defaultOnce.Do(func() {
		w, err := New(Options{Seed: DefaultSeed, Scale: 1})
		if err != nil {
			panic(err) // scale 1 is always valid
		}
		defaultWorld = w
	})
	return defaultWorld
}

func (w *World) index() {
	w.variants, w.products = map[string]*Variant{}, map[string]*Product{}
	for i := range w.Catalog.Products {
		p := &w.Catalog.Products[i]
		w.products[p.ID] = p
		for k := range p.Variants {
			w.variants[p.Variants[k].ID] = &p.Variants[k]
		}
	}
}

// Variant is the variant with id, or nil.
func (w *World) Variant(id string) *Variant { return w.variants[id] }

// Product is the product with id, or nil.
func (w *World) Product(id string) *Product { return w.products[id] }

// Variants is how many variants the catalog has.
func (w *World) Variants() int { return len(w.variants) }
