package order

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/country"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// ShippingMethod is a method's code (ShippingMethodCode): what a cart
// chooses and an order keeps, the same in every zone and channel.
type ShippingMethod string

// Shipping methods.
const (
	Standard ShippingMethod = "STANDARD"
	Express  ShippingMethod = "EXPRESS"
)

// Quote is a shipping method priced for one cart.
type Quote struct {
	Method           ShippingMethod
	Name             string
	Price            money.Money
	MinDays, MaxDays int
}

// Channel is a sales channel: its currency, the countries it sells to and
// how its prices relate to tax.
type Channel struct {
	Code      string
	Currency  money.Currency
	Countries []string
	Tax       ChannelTax
}

// ShippingZone is where methods ship: its countries, or only Regions of
// them (US states, Canadian provinces) when Regions is not empty.
type ShippingZone struct {
	ID, Name  string
	Countries []string
	Regions   []string
}

// RateKind is how a method is priced.
type RateKind string

// Rate kinds.
const (
	RateFlat     RateKind = "FLAT"
	RateWeight   RateKind = "WEIGHT"   // by the cart's weight in grams
	RateSubtotal RateKind = "SUBTOTAL" // by the lines' subtotal as entered
)

// Band is one step of a banded rate: up to and including UpTo (grams or
// minor units; nil: no limit), the price is Price.
type Band struct {
	UpTo  *int64
	Price int64
}

// ShippingRate is a method of a zone in one channel, priced in the
// channel's currency (minor units), so no conversion is ever needed.
type ShippingRate struct {
	ID, ZoneID, Channel string
	Currency            money.Currency // the channel's
	Code                ShippingMethod
	Name                string
	MinDays, MaxDays    int
	Kind                RateKind
	Price               int64  // FLAT
	Bands               []Band // WEIGHT and SUBTOTAL, ascending
	// FreeAbove: shipping is free when the subtotal is above it (nil: never).
	FreeAbove *int64
}

// price is r for a cart of weight grams and subtotal minor units; false
// when the cart is beyond its last band.
func (r ShippingRate) price(weight, subtotal int64) (int64, bool) {
	if r.FreeAbove != nil && subtotal > *r.FreeAbove {
		return 0, true
	}
	if r.Kind == RateFlat {
		return r.Price, true
	}
	x := weight
	if r.Kind == RateSubtotal {
		x = subtotal
	}
	for _, b := range r.Bands {
		if b.UpTo == nil || x <= *b.UpTo {
			return b.Price, true
		}
	}
	return 0, false
}

// ShippingReader reads the shipping table.
type ShippingReader interface {
	// ShippingZones oldest first.
	ShippingZones(ctx context.Context) ([]ShippingZone, error)
	// ShippingRates of channel (every channel's when ""), oldest first.
	ShippingRates(ctx context.Context, channel string) ([]ShippingRate, error)
}

// ShippingStore is what the shipping service reads and writes.
type ShippingStore interface {
	Channels(ctx context.Context) ([]Channel, error)
	// Channel: ErrNotFound when there is none.
	Channel(ctx context.Context, code string) (Channel, error)
	// CreateChannel: ErrTaken when the code exists.
	CreateChannel(ctx context.Context, c Channel) error
	ShippingReader
	CreateShippingZone(ctx context.Context, z ShippingZone) error
	// CreateShippingRate: ErrTaken when its zone has its code in its
	// channel.
	CreateShippingRate(ctx context.Context, r ShippingRate) error
}

// Codes of ShippingErrorCode.
const (
	CodeInvalidSlug     = "INVALID_SLUG"
	CodeSlugTaken       = "SLUG_TAKEN"
	CodeInvalidRounding = "INVALID_TAX_ROUNDING"
	CodeCodeTaken       = "CODE_TAKEN"
	CodeInvalidCurrency = "INVALID_CURRENCY"
	CodeUnknownZone     = "UNKNOWN_ZONE"
	CodeUnknownChannel  = "UNKNOWN_CHANNEL"
	CodeInvalidPrice    = "INVALID_PRICE"
	CodeInvalidBands    = "INVALID_BANDS"
	CodeInvalidDays     = "INVALID_DAYS"
)

// Shipping is the channels and the shipping tables, and the quoting of
// carts by them.
type Shipping struct {
	store ShippingStore
	newID func(string) string
}

// NewShipping returns the shipping service.
func NewShipping(store ShippingStore, newID func(string) string) *Shipping {
	return &Shipping{store: store, newID: newID}
}

// Channels lists the sales channels; anyone may read them.
func (s *Shipping) Channels(ctx context.Context) ([]Channel, error) {
	return s.store.Channels(ctx)
}

// Channel is the channel code names, DefaultChannel when code is "";
// a Problem INVALID_CHANNEL when there is none.
func (s *Shipping) Channel(ctx context.Context, code string) (Channel, error) {
	if code == "" {
		code = DefaultChannel
	}
	ch, err := s.store.Channel(ctx, code)
	if errors.Is(err, ErrNotFound) {
		return Channel{}, errs.Problemf(errs.Field("channel"), CodeInvalidChannel, "unknown channel %q", code)
	}
	if err != nil {
		return Channel{}, fmt.Errorf("channel %s: %w", code, err)
	}
	return ch, nil
}

var channelCode = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// CreateChannel adds a channel: a slug (lower case, digits, hyphens; at
// most 50), a currency money knows (the schema's enum could name one it
// does not), the countries it sells to.
// Needs MANAGE_ORDERS.
func (s *Shipping) CreateChannel(ctx context.Context, c Channel) (Channel, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return Channel{}, err
	}
	c.Code = strings.TrimSpace(c.Code)
	if !channelCode.MatchString(c.Code) || len(c.Code) > 50 {
		return Channel{}, errs.Problemf(errs.Field("slug"), CodeInvalidSlug, "a channel slug is 1 to 50 lower-case letters, digits and single hyphens, such as uk-gbp")
	}
	if !c.Currency.Valid() {
		return Channel{}, errs.Problemf(errs.Field("currency"), CodeInvalidCurrency, "%q is not a currency the shop can charge in", c.Currency)
	}
	countries, err := countryList(c.Countries, "countries")
	if err != nil {
		return Channel{}, err
	}
	c.Countries = countries
	if c.Tax.Rounding == "" {
		c.Tax.Rounding = RoundLine
	}
	if c.Tax.Rounding != RoundLine && c.Tax.Rounding != RoundOrderPerRate {
		return Channel{}, errs.Problemf(errs.Field("taxRounding"), CodeInvalidRounding, "tax rounding is LINE or ORDER_PER_RATE")
	}
	if err := s.store.CreateChannel(ctx, c); errors.Is(err, ErrTaken) {
		return Channel{}, errs.Problemf(errs.Field("slug"), CodeSlugTaken, "a channel %s exists", c.Code)
	} else if err != nil {
		return Channel{}, err
	}
	return c, nil
}

// countryList is codes upper-cased, checked and without repeats, in the
// order given; at least one.
func countryList(codes []string, field string) ([]string, error) {
	var out []string
	for i, c := range codes {
		c = strings.ToUpper(strings.TrimSpace(c))
		if !country.Valid(c) {
			return nil, errs.Problemf(errs.Field(fmt.Sprintf("%s.%d", field, i)), CodeInvalidCountry, "%q is not an ISO 3166-1 alpha-2 country code", codes[i])
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return nil, errs.Problemf(errs.Field(field), CodeInvalidCountry, "give at least one country")
	}
	return out, nil
}

// Zones lists the shipping zones, oldest first. Needs MANAGE_ORDERS.
func (s *Shipping) Zones(ctx context.Context) ([]ShippingZone, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return nil, err
	}
	return s.store.ShippingZones(ctx)
}

// CreateZone adds a shipping zone: a name, its countries, and optionally
// the only regions of them it covers. Needs MANAGE_ORDERS.
func (s *Shipping) CreateZone(ctx context.Context, z ShippingZone) (ShippingZone, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return ShippingZone{}, err
	}
	z.Name = strings.TrimSpace(z.Name)
	if z.Name == "" || len(z.Name) > 100 {
		return ShippingZone{}, errs.Problemf(errs.Field("name"), CodeInvalidName, "a zone name has 1 to 100 characters")
	}
	countries, err := countryList(z.Countries, "countries")
	if err != nil {
		return ShippingZone{}, err
	}
	z.Countries = countries
	regions := []string{}
	for _, r := range z.Regions {
		r = strings.ToUpper(strings.TrimSpace(r))
		if r == "" || len(r) > 50 {
			return ShippingZone{}, errs.Problemf(errs.Field("regions"), CodeInvalidCountry, "a region code has 1 to 50 characters")
		}
		if !slices.Contains(regions, r) {
			regions = append(regions, r)
		}
	}
	z.Regions, z.ID = regions, s.newID("shz")
	if err := s.store.CreateShippingZone(ctx, z); err != nil {
		return ShippingZone{}, err
	}
	return z, nil
}

// Rates lists every channel's shipping methods, oldest first. Needs
// MANAGE_ORDERS.
func (s *Shipping) Rates(ctx context.Context) ([]ShippingRate, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return nil, err
	}
	return s.store.ShippingRates(ctx, "")
}

// CreateRateInput is staff adding a method: amounts are decimal strings
// in the channel's currency, band limits grams (WEIGHT) or amounts
// (SUBTOTAL).
type CreateRateInput struct {
	ZoneID, Channel  string
	Code             ShippingMethod
	Name             string
	MinDays, MaxDays int
	Kind             RateKind
	Price            string // FLAT
	Bands            []BandInput
	FreeAbove        string // "": never free
}

// BandInput is a band as given: UpTo "" on the last band means no limit.
type BandInput struct {
	UpTo, Price string
}

// CreateRate adds a shipping method to a zone in a channel. Bands are
// ascending with inclusive upper bounds (0–2000 g and 2000–5000 g: 2000 g
// takes the first). Needs MANAGE_ORDERS.
func (s *Shipping) CreateRate(ctx context.Context, in CreateRateInput) (ShippingRate, error) {
	if _, err := auth.Require(ctx, ManageOrders); err != nil {
		return ShippingRate{}, err
	}
	r := ShippingRate{ID: s.newID("shm"), ZoneID: in.ZoneID, Channel: in.Channel, Code: in.Code, Name: strings.TrimSpace(in.Name),
		MinDays: in.MinDays, MaxDays: in.MaxDays, Kind: in.Kind}
	if r.Name == "" || len(r.Name) > 100 {
		return ShippingRate{}, errs.Problemf(errs.Field("name"), CodeInvalidName, "a method name has 1 to 100 characters")
	}
	if r.MinDays < 0 || r.MaxDays < r.MinDays || r.MaxDays > 365 {
		return ShippingRate{}, errs.Problemf(errs.Field("maxDays"), CodeInvalidDays, "delivery days run from minDays (0 or more) to maxDays (at least minDays, at most 365)")
	}
	zones, err := s.store.ShippingZones(ctx)
	if err != nil {
		return ShippingRate{}, err
	}
	if !slices.ContainsFunc(zones, func(z ShippingZone) bool { return z.ID == r.ZoneID }) {
		return ShippingRate{}, errs.Problemf(errs.Field("zoneId"), CodeUnknownZone, "no shipping zone %s", r.ZoneID)
	}
	ch, err := s.store.Channel(ctx, r.Channel)
	if errors.Is(err, ErrNotFound) {
		return ShippingRate{}, errs.Problemf(errs.Field("channel"), CodeUnknownChannel, "no channel %s", r.Channel)
	} else if err != nil {
		return ShippingRate{}, err
	}
	r.Currency = ch.Currency
	amount := func(field, s string) (int64, error) {
		m, err := money.Parse(s, ch.Currency)
		if err != nil || m.Minor < 0 {
			return 0, errs.Problemf(errs.Field(field), CodeInvalidPrice, "%q is not an amount of %s of 0 or more with at most its decimals", s, ch.Currency)
		}
		return m.Minor, nil
	}
	switch r.Kind {
	case RateFlat:
		if len(in.Bands) > 0 {
			return ShippingRate{}, errs.Problemf(errs.Field("bands"), CodeInvalidBands, "a FLAT rate has a price, not bands")
		}
		if r.Price, err = amount("price", in.Price); err != nil {
			return ShippingRate{}, err
		}
	case RateWeight, RateSubtotal:
		if in.Price != "" {
			return ShippingRate{}, errs.Problemf(errs.Field("price"), CodeInvalidBands, "a %s rate is priced by its bands, not a price", r.Kind)
		}
		if r.Bands, err = bands(in.Bands, r.Kind, amount); err != nil {
			return ShippingRate{}, err
		}
	default:
		return ShippingRate{}, errs.Problemf(errs.Field("rateKind"), CodeInvalidBands, "a rate is FLAT, WEIGHT or SUBTOTAL")
	}
	if in.FreeAbove != "" {
		f, err := amount("freeAbove", in.FreeAbove)
		if err != nil {
			return ShippingRate{}, err
		}
		r.FreeAbove = &f
	}
	if err := s.store.CreateShippingRate(ctx, r); errors.Is(err, ErrTaken) {
		return ShippingRate{}, errs.Problemf(errs.Field("code"), CodeCodeTaken, "zone %s has a %s method in %s", r.ZoneID, r.Code, r.Channel)
	} else if err != nil {
		return ShippingRate{}, err
	}
	return r, nil
}

// bands reads banded prices: at least one, limits strictly ascending, only
// the last without a limit.
func bands(in []BandInput, kind RateKind, amount func(field, s string) (int64, error)) ([]Band, error) {
	if len(in) == 0 {
		return nil, errs.Problemf(errs.Field("bands"), CodeInvalidBands, "a %s rate has at least one band", kind)
	}
	out := make([]Band, len(in))
	for i, b := range in {
		field := fmt.Sprintf("bands.%d", i)
		p, err := amount(field+".price", b.Price)
		if err != nil {
			return nil, err
		}
		out[i].Price = p
		if b.UpTo == "" {
			if i != len(in)-1 {
				return nil, errs.Problemf(errs.Field(field+".upTo"), CodeInvalidBands, "only the last band may have no upper limit")
			}
			continue
		}
		var limit int64
		if kind == RateWeight {
			if _, err := fmt.Sscan(b.UpTo, &limit); err != nil || fmt.Sprint(limit) != b.UpTo || limit <= 0 {
				return nil, errs.Problemf(errs.Field(field+".upTo"), CodeInvalidBands, "a weight band's limit is whole grams above 0, not %q", b.UpTo)
			}
		} else if limit, err = amount(field+".upTo", b.UpTo); err != nil {
			return nil, err
		}
		if i > 0 && limit <= *out[i-1].UpTo {
			return nil, errs.Problemf(errs.Field(field+".upTo"), CodeInvalidBands, "bands overlap or are out of order: each limit must be above the one before")
		}
		out[i].UpTo = &limit
	}
	return out, nil
}

// Quotes are the methods of the zone of a in channel that can take a cart
// of weight grams and subtotal minor units, cheapest first. The zone is
// the most specific one holding a's country with methods in ch: one
// listing a's region beats one for the whole country; between equals, the
// older.
func (s *Shipping) Quotes(ctx context.Context, ch Channel, a Address, weight, subtotal int64) ([]Quote, error) {
	rates, err := s.zoneRates(ctx, ch.Code, a)
	if err != nil {
		return nil, err
	}
	qs := []Quote{}
	for _, r := range rates {
		if p, ok := r.price(weight, subtotal); ok {
			qs = append(qs, Quote{Method: r.Code, Name: r.Name, Price: money.Money{Minor: p, Currency: ch.Currency}, MinDays: r.MinDays, MaxDays: r.MaxDays})
		}
	}
	slices.SortStableFunc(qs, func(a, b Quote) int { return int(a.Price.Minor - b.Price.Minor) })
	return qs, nil
}

// ShippingTable is every zone and every channel's methods: small, read in
// one go, once per request (loader.Loaders.Shipping) when a page of orders
// describes their methods.
type ShippingTable struct {
	Zones []ShippingZone
	Rates []ShippingRate
}

// LoadShippingTable reads the whole table from store.
func LoadShippingTable(ctx context.Context, store ShippingReader) (ShippingTable, error) {
	zones, err := store.ShippingZones(ctx)
	if err != nil {
		return ShippingTable{}, fmt.Errorf("shipping zones: %w", err)
	}
	rates, err := store.ShippingRates(ctx, "")
	if err != nil {
		return ShippingTable{}, fmt.Errorf("shipping rates: %w", err)
	}
	return ShippingTable{zones, rates}, nil
}

// Describe is the name and delivery days method has today to a in
// channel, for an order placed with it (its price is what was charged);
// just the code as name when the method no longer ships there.
func (t ShippingTable) Describe(channel string, m ShippingMethod, a Address) Quote {
	for _, r := range t.zoneRates(channel, a) {
		if r.Code == m {
			return Quote{Method: m, Name: r.Name, MinDays: r.MinDays, MaxDays: r.MaxDays}
		}
	}
	return Quote{Method: m, Name: string(m)}
}

func (s *Shipping) zoneRates(ctx context.Context, channel string, a Address) ([]ShippingRate, error) {
	t, err := LoadShippingTable(ctx, s.store)
	if err != nil {
		return nil, err
	}
	return t.zoneRates(channel, a), nil
}

// zoneRates are channel's methods in the zone of a (see Quotes). Zones
// with no method in channel are passed over, so a new channel's zone for a
// country is not hidden by an older zone that only other channels ship to.
func (t ShippingTable) zoneRates(channel string, a Address) []ShippingRate {
	var rates []ShippingRate
	for _, r := range t.Rates {
		if r.Channel == channel {
			rates = append(rates, r)
		}
	}
	zone := ""
	region := strings.ToUpper(a.Region)
	for _, z := range t.Zones {
		if !slices.Contains(z.Countries, a.CountryCode) || !slices.ContainsFunc(rates, func(r ShippingRate) bool { return r.ZoneID == z.ID }) {
			continue
		}
		if len(z.Regions) > 0 {
			if slices.Contains(z.Regions, region) {
				zone = z.ID
				break
			}
		} else if zone == "" {
			zone = z.ID
		}
	}
	if zone == "" {
		return nil
	}
	return slices.DeleteFunc(rates, func(r ShippingRate) bool { return r.ZoneID != zone })
}

// pick is what a cart will be charged for shipping: its chosen method if
// it still ships the cart, else the cheapest; false when nothing does.
func pick(chosen ShippingMethod, qs []Quote) (Quote, bool) {
	for _, q := range qs {
		if q.Method == chosen {
			return q, true
		}
	}
	if len(qs) == 0 {
		return Quote{}, false
	}
	return qs[0], true
}
