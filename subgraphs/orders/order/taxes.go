package order

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/country"
)

// DefaultTaxClass is the class of every product whose product type and
// product name none (and of shipping). It always exists.
const DefaultTaxClass = "txc_default"

// TaxClass groups products taxed alike ("Standard", "Reduced", "Books").
type TaxClass struct {
	ID, Name string
}

// TaxRate is a class's rate in a country, or in one region (a US state, a
// Canadian province) of it when Region is not "".
type TaxRate struct {
	ClassID, Country, Region string
	Rate                     Rate
}

// TaxAssignment gives a product type, or one product (which overrides its
// type), a tax class. Exactly one of ProductTypeID and ProductID is set.
type TaxAssignment struct {
	ClassID, ProductTypeID, ProductID string
}

// ErrTaken: a tax class with this name exists.
var ErrTaken = errors.New("name taken")

// TaxStore is what the tax service (Taxes) reads and writes.
type TaxStore interface {
	TaxClasses(ctx context.Context) ([]TaxClass, error)
	// CreateTaxClass: ErrTaken when the name (any case) exists.
	CreateTaxClass(ctx context.Context, c TaxClass) error
	// SetTaxRate creates or replaces the rate of its class, country and region.
	SetTaxRate(ctx context.Context, r TaxRate) error
	// TaxRates are every class's rates in a country (regions too); all of
	// them when country is "".
	TaxRates(ctx context.Context, country string) ([]TaxRate, error)
	// AssignTaxClass creates or replaces a product type's or product's class.
	AssignTaxClass(ctx context.Context, a TaxAssignment) error
	// TaxAssignments are the classes given to these products and product
	// types, keyed by product id and by product type id.
	TaxAssignments(ctx context.Context, productIDs, productTypeIDs []string) (byProduct, byType map[string]string, err error)
	TaxExempt(ctx context.Context, userID string) (bool, error)
	SetTaxExempt(ctx context.Context, userID string, exempt bool) error
}

// Codes of TaxErrorCode.
const (
	CodeUnknownTaxClass = "UNKNOWN_TAX_CLASS"
	CodeInvalidCountry  = "INVALID_COUNTRY"
	CodeInvalidRate     = "INVALID_RATE"
	CodeInvalidName     = "INVALID_NAME"
	CodeNameTaken       = "NAME_TAKEN"
	CodeInvalidTarget   = "INVALID_TARGET"
)

// Taxes is the tax rules: classes, rates per destination, exemptions, and
// the taxing of carts and orders by them.
type Taxes struct {
	store TaxStore
	newID func(string) string
}

// NewTaxes returns the tax service.
func NewTaxes(store TaxStore, newID func(string) string) *Taxes {
	return &Taxes{store: store, newID: newID}
}

// Classes lists the tax classes with every rate. Needs MANAGE_ORDERS.
func (t *Taxes) Classes(ctx context.Context) ([]TaxClass, []TaxRate, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return nil, nil, err
	}
	cs, err := t.store.TaxClasses(ctx)
	if err != nil {
		return nil, nil, err
	}
	rs, err := t.store.TaxRates(ctx, "")
	return cs, rs, err
}

// CreateClass adds a tax class named name (1 to 100 characters, unique
// whatever the case). Needs MANAGE_ORDERS.
func (t *Taxes) CreateClass(ctx context.Context, name string) (TaxClass, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return TaxClass{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		return TaxClass{}, errs.Problemf(errs.Field("name"), CodeInvalidName, "a tax class name has 1 to 100 characters")
	}
	c := TaxClass{ID: t.newID("txc"), Name: name}
	if err := t.store.CreateTaxClass(ctx, c); errors.Is(err, ErrTaken) {
		return TaxClass{}, errs.Problemf(errs.Field("name"), CodeNameTaken, "a tax class named %q exists", name)
	} else if err != nil {
		return TaxClass{}, err
	}
	return c, nil
}

// SetRateInput is staff setting a class's rate in a country or region.
type SetRateInput struct {
	ClassID, Country, Region string
	// Percent is a decimal percentage, e.g. "19" or "8.875".
	Percent string
}

// SetRate creates or replaces a class's rate in a country (or one of its
// regions). Orders already placed keep the rate they were placed at.
// Needs MANAGE_ORDERS.
func (t *Taxes) SetRate(ctx context.Context, in SetRateInput) (TaxRate, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return TaxRate{}, err
	}
	r := TaxRate{ClassID: in.ClassID, Country: strings.ToUpper(strings.TrimSpace(in.Country)),
		Region: strings.ToUpper(strings.TrimSpace(in.Region))}
	if !country.Valid(r.Country) {
		return TaxRate{}, errs.Problemf(errs.Field("countryCode"), CodeInvalidCountry, "%q is not an ISO 3166-1 alpha-2 country code", in.Country)
	}
	if len(r.Region) > 50 {
		return TaxRate{}, errs.Problemf(errs.Field("region"), CodeInvalidCountry, "a region code has at most 50 characters")
	}
	rate, ok := ParseRate(in.Percent)
	if !ok {
		return TaxRate{}, errs.Problemf(errs.Field("rate"), CodeInvalidRate, "rate %q is not a percentage from 0 to 100 with at most 4 decimals", in.Percent)
	}
	r.Rate = rate
	if err := t.knownClass(ctx, r.ClassID); err != nil {
		return TaxRate{}, err
	}
	return r, t.store.SetTaxRate(ctx, r)
}

// Assign gives a product type, or one product, a tax class. Needs
// MANAGE_ORDERS.
func (t *Taxes) Assign(ctx context.Context, a TaxAssignment) error {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return err
	}
	if (a.ProductTypeID == "") == (a.ProductID == "") {
		return errs.Problemf(errs.Field("productTypeId"), CodeInvalidTarget, "give exactly one of productTypeId and productId")
	}
	if err := t.knownClass(ctx, a.ClassID); err != nil {
		return err
	}
	return t.store.AssignTaxClass(ctx, a)
}

// SetExempt marks a customer tax-exempt (a reseller, a charity) or not:
// their carts and orders carry no tax. Needs MANAGE_ORDERS.
func (t *Taxes) SetExempt(ctx context.Context, userID string, exempt bool) error {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return err
	}
	if userID == "" {
		return errs.Problemf(errs.Field("userId"), CodeNotFound, "no user given")
	}
	return t.store.SetTaxExempt(ctx, userID, exempt)
}

func (t *Taxes) knownClass(ctx context.Context, id string) error {
	cs, err := t.store.TaxClasses(ctx)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.ID == id {
			return nil
		}
	}
	return errs.Problemf(errs.Field("taxClassId"), CodeUnknownTaxClass, "no tax class %s", id)
}

// Taxable is one line to tax: its total as entered and what decides its class.
type Taxable struct {
	Amount                   int64
	ProductID, ProductTypeID string
}

// Taxation is a cart's or order's tax: per line, on shipping, and the
// setting it was worked out under.
type Taxation struct {
	Lines    []Taxed
	Classes  []string // each line's tax class name
	Shipping Taxed
	Exempt   bool
	Setting  ChannelTax
	TotalTax int64 // lines and shipping
	// Gross is what the customer pays: lines and shipping with their tax.
	Gross int64
}

// Apply taxes lines and shipping (nil: none yet), under a channel's tax
// setting, for a customer (userID,
// "" for a guest) shipping to a: each line at its class's rate in a's
// region, else country, else the default class's rate there (0 where no
// rate is set); shipping at the default class's rate, as most VAT and many
// US states tax delivery like the goods.
func (t *Taxes) Apply(ctx context.Context, setting ChannelTax, a Address, userID string, lines []Taxable, shipping *int64) (Taxation, error) {
	tx := Taxation{Setting: setting, Classes: make([]string, len(lines))}
	if tx.Setting.Rounding == "" {
		tx.Setting.Rounding = RoundLine
	}
	var err error
	if userID != "" {
		if tx.Exempt, err = t.store.TaxExempt(ctx, userID); err != nil {
			return Taxation{}, fmt.Errorf("tax exemption: %w", err)
		}
	}
	rates, err := t.store.TaxRates(ctx, a.CountryCode)
	if err != nil {
		return Taxation{}, fmt.Errorf("tax rates: %w", err)
	}
	classes, err := t.store.TaxClasses(ctx)
	if err != nil {
		return Taxation{}, fmt.Errorf("tax classes: %w", err)
	}
	names := map[string]string{}
	for _, c := range classes {
		names[c.ID] = c.Name
	}
	var pids, tids []string
	for _, l := range lines {
		pids, tids = append(pids, l.ProductID), append(tids, l.ProductTypeID)
	}
	byProduct, byType, err := t.store.TaxAssignments(ctx, pids, tids)
	if err != nil {
		return Taxation{}, fmt.Errorf("tax classes of products: %w", err)
	}
	amounts, rs := make([]int64, 0, len(lines)+1), make([]Rate, 0, len(lines)+1)
	for i, l := range lines {
		class := byProduct[l.ProductID]
		if class == "" {
			class = byType[l.ProductTypeID]
		}
		if class == "" {
			class = DefaultTaxClass
		}
		tx.Classes[i] = names[class]
		amounts, rs = append(amounts, l.Amount), append(rs, rateFor(rates, class, strings.ToUpper(a.Region)))
	}
	if shipping != nil {
		amounts, rs = append(amounts, *shipping), append(rs, rateFor(rates, DefaultTaxClass, strings.ToUpper(a.Region)))
	}
	split := Split(amounts, rs, tx.Setting.PricesIncludeTax, tx.Setting.Rounding, tx.Exempt)
	tx.Lines = split[:len(lines)]
	if shipping != nil {
		tx.Shipping = split[len(lines)]
	}
	for _, s := range split {
		tx.TotalTax, tx.Gross = tx.TotalTax+s.Tax, tx.Gross+s.Gross
	}
	return tx, nil
}

// rateFor is class's rate in region (of the rates' country), else in the
// whole country, else the default class's; 0 when none is set.
func rateFor(rates []TaxRate, class, region string) Rate {
	for _, c := range []string{class, DefaultTaxClass} {
		var country *Rate
		for i, r := range rates {
			if r.ClassID != c {
				continue
			}
			if r.Region != "" && r.Region == region {
				return r.Rate
			}
			if r.Region == "" {
				country = &rates[i].Rate
			}
		}
		if country != nil {
			return *country
		}
	}
	return 0
}
