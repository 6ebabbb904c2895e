package order

import (
	"slices"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// ShippingMethod is a way to send an order (ShippingMethodCode).
type ShippingMethod string

// Shipping methods.
const (
	Standard ShippingMethod = "STANDARD"
	Express  ShippingMethod = "EXPRESS"
)

// Quote is a shipping method priced for one destination in one currency.
type Quote struct {
	Method           ShippingMethod
	Name             string
	Price            money.Money
	MinDays, MaxDays int
}

// rate is one row of the shipping table: a method to a zone, priced in
// each channel currency (minor units), so no conversion is ever needed.
type rate struct {
	zone             string
	method           ShippingMethod
	name             string
	minDays, maxDays int
	prices           map[money.Currency]int64
}

// rates is the whole shipping table. A carrier integration would replace it.
var rates = []rate{
	{"NA", Standard, "Standard (3-5 days)", 3, 5, map[money.Currency]int64{"USD": 599, "EUR": 599, "JPY": 900}},
	{"NA", Express, "Express (1-2 days)", 1, 2, map[money.Currency]int64{"USD": 1999, "EUR": 1799, "JPY": 2800}},
	{"EU", Standard, "Standard (3-6 days)", 3, 6, map[money.Currency]int64{"USD": 899, "EUR": 499, "JPY": 1300}},
	{"EU", Express, "Express (1-2 days)", 1, 2, map[money.Currency]int64{"USD": 2499, "EUR": 1499, "JPY": 3500}},
	{"JP", Standard, "Standard (2-4 days)", 2, 4, map[money.Currency]int64{"USD": 1499, "EUR": 1399, "JPY": 500}},
	{"JP", Express, "Express (next day)", 1, 1, map[money.Currency]int64{"USD": 2999, "EUR": 2699, "JPY": 1200}},
	{"INTL", Standard, "International (7-21 days)", 7, 21, map[money.Currency]int64{"USD": 1999, "EUR": 1799, "JPY": 2500}},
	{"INTL", Express, "International express (3-7 days)", 3, 7, map[money.Currency]int64{"USD": 4999, "EUR": 4499, "JPY": 7000}},
}

// zones maps countries to the table's zones; others are INTL.
var zones = map[string]string{"US": "NA", "CA": "NA", "JP": "JP",
	"AT": "EU", "BE": "EU", "BG": "EU", "HR": "EU", "CY": "EU", "CZ": "EU", "DK": "EU", "EE": "EU", "FI": "EU", "FR": "EU",
	"DE": "EU", "GR": "EU", "HU": "EU", "IE": "EU", "IT": "EU", "LV": "EU", "LT": "EU", "LU": "EU", "MT": "EU", "NL": "EU",
	"PL": "EU", "PT": "EU", "RO": "EU", "SK": "EU", "SI": "EU", "ES": "EU", "SE": "EU", "GB": "EU", "CH": "EU", "NO": "EU"}

// Quotes are the methods that ship to country, priced in currency,
// cheapest first.
func Quotes(country string, currency money.Currency) []Quote {
	zone, ok := zones[country]
	if !ok {
		zone = "INTL"
	}
	var qs []Quote
	for _, r := range rates {
		if p, ok := r.prices[currency]; ok && r.zone == zone {
			qs = append(qs, Quote{Method: r.method, Name: r.name, Price: money.Money{Minor: p, Currency: currency}, MinDays: r.minDays, MaxDays: r.maxDays})
		}
	}
	slices.SortStableFunc(qs, func(a, b Quote) int { return int(a.Price.Minor - b.Price.Minor) })
	return qs
}

// QuoteFor is method's quote to country in currency; false when it does
// not ship there.
func QuoteFor(method ShippingMethod, country string, currency money.Currency) (Quote, bool) {
	for _, q := range Quotes(country, currency) {
		if q.Method == method {
			return q, true
		}
	}
	return Quote{}, false
}

// shippingFor is what a cart will be charged for shipping: its chosen
// method, else the cheapest to its address; false without an address.
func shippingFor(cart Cart) (Quote, bool) {
	if cart.Address == nil {
		return Quote{}, false
	}
	currency := Channels[cart.Channel]
	if cart.ShippingMethod != "" {
		if q, ok := QuoteFor(cart.ShippingMethod, cart.Address.CountryCode, currency); ok {
			return q, true
		}
	}
	qs := Quotes(cart.Address.CountryCode, currency)
	if len(qs) == 0 {
		return Quote{}, false
	}
	return qs[0], true
}
