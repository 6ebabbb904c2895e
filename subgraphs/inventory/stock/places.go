package stock

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/country"
)

// PlacesStore keeps warehouses and suppliers. Update reads the row locked,
// lets change rewrite it and writes it back in one transaction, so two
// staff changing one warehouse at once both take effect.
type PlacesStore interface {
	CreateWarehouse(ctx context.Context, w Warehouse) error
	UpdateWarehouse(ctx context.Context, id string, change func(*Warehouse) error) (Warehouse, error)
	CreateSupplier(ctx context.Context, s Supplier) error
	UpdateSupplier(ctx context.Context, id string, change func(*Supplier) error) (Supplier, error)
}

// Places is how staff set up where stock is kept and who sells it.
type Places struct {
	store PlacesStore
	newID func(string) string
}

// NewPlaces returns the warehouses-and-suppliers service.
func NewPlaces(store PlacesStore, newID func(string) string) *Places {
	return &Places{store: store, newID: newID}
}

// WarehouseUpdate changes the fields that are not nil.
type WarehouseUpdate struct {
	Name, Street, City, PostalCode, Country *string
	Countries                               *[]string
	Priority                                *int
	Active                                  *bool
}

// SupplierUpdate changes the fields that are not nil.
type SupplierUpdate struct {
	Name, ContactEmail, ContactPhone *string
	LeadTimeDays                     *int
}

// CreateWarehouse adds an active warehouse; staff with ADJUST_STOCK.
func (p *Places) CreateWarehouse(ctx context.Context, w Warehouse) (Warehouse, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return Warehouse{}, err
	}
	w.ID = p.newID("wh")
	if err := w.check(); err != nil {
		return Warehouse{}, err
	}
	return w, p.store.CreateWarehouse(ctx, w)
}

// UpdateWarehouse changes what u sets; an inactive warehouse takes no new
// reservations. Staff with ADJUST_STOCK.
func (p *Places) UpdateWarehouse(ctx context.Context, id string, u WarehouseUpdate) (Warehouse, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return Warehouse{}, err
	}
	return p.store.UpdateWarehouse(ctx, id, func(w *Warehouse) error {
		set(&w.Name, u.Name)
		set(&w.Street, u.Street)
		set(&w.City, u.City)
		set(&w.PostalCode, u.PostalCode)
		set(&w.Country, u.Country)
		set(&w.Countries, u.Countries)
		set(&w.Priority, u.Priority)
		set(&w.Active, u.Active)
		return w.check()
	})
}

// CreateSupplier adds a supplier; staff with ADJUST_STOCK.
func (p *Places) CreateSupplier(ctx context.Context, s Supplier) (Supplier, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return Supplier{}, err
	}
	s.ID = p.newID("sup")
	if err := s.check(); err != nil {
		return Supplier{}, err
	}
	return s, p.store.CreateSupplier(ctx, s)
}

// UpdateSupplier changes what u sets; staff with ADJUST_STOCK.
func (p *Places) UpdateSupplier(ctx context.Context, id string, u SupplierUpdate) (Supplier, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return Supplier{}, err
	}
	return p.store.UpdateSupplier(ctx, id, func(s *Supplier) error {
		set(&s.Name, u.Name)
		set(&s.ContactEmail, u.ContactEmail)
		set(&s.ContactPhone, u.ContactPhone)
		set(&s.LeadTimeDays, u.LeadTimeDays)
		return s.check()
	})
}

func set[T any](field *T, v *T) {
	if v != nil {
		*field = *v
	}
}

func invalid(field, format string, args ...any) error {
	return errs.Problemf([]string{"input", field}, CodeInvalid, format, args...)
}

// check refuses a warehouse no one could ship from: every address part,
// real country codes, somewhere to ship to.
func (w *Warehouse) check() error {
	for _, f := range []struct{ name, value string }{{"name", w.Name}, {"street", w.Street}, {"city", w.City}, {"postalCode", w.PostalCode}} {
		if strings.TrimSpace(f.value) == "" || len(f.value) > 200 {
			return invalid(f.name, "%s must be 1 to 200 characters", f.name)
		}
	}
	w.Country = strings.ToUpper(strings.TrimSpace(w.Country))
	if !country.Valid(w.Country) {
		return invalid("country", "%q is not an ISO 3166-1 alpha-2 country code", w.Country)
	}
	if len(w.Countries) == 0 {
		return invalid("countries", "a warehouse ships to at least one country")
	}
	for i, c := range w.Countries {
		c = strings.ToUpper(strings.TrimSpace(c))
		w.Countries[i] = c
		if !country.Valid(c) {
			return errs.Problemf([]string{"input", "countries", fmt.Sprint(i)}, CodeInvalid, "%q is not an ISO 3166-1 alpha-2 country code", c)
		}
		if slices.Contains(w.Countries[:i], c) {
			return errs.Problemf([]string{"input", "countries", fmt.Sprint(i)}, CodeInvalid, "%s is listed twice", c)
		}
	}
	if w.Priority < 0 {
		return invalid("priority", "priority must not be negative")
	}
	return nil
}

// check refuses a supplier we could not order from.
func (s *Supplier) check() error {
	if strings.TrimSpace(s.Name) == "" || len(s.Name) > 200 {
		return invalid("name", "name must be 1 to 200 characters")
	}
	at := strings.LastIndexByte(s.ContactEmail, '@')
	if at < 1 || at == len(s.ContactEmail)-1 || len(s.ContactEmail) > 254 || strings.ContainsAny(s.ContactEmail, " \t\r\n") {
		return invalid("contactEmail", "%q is not an email address", s.ContactEmail)
	}
	if len(s.ContactPhone) > 40 {
		return invalid("contactPhone", "the phone number may be at most 40 characters")
	}
	if s.LeadTimeDays < 0 || s.LeadTimeDays > 365 {
		return invalid("leadTimeDays", "lead time must be 0 to 365 days")
	}
	return nil
}
