// Package money is an amount in integer minor units of an ISO 4217 currency:
// never a float, so totals add up to the cent.
package money

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Currency is an ISO 4217 code. It is the GraphQL enum CurrencyCode.
type Currency string

// decimals is each currency's number of minor-unit digits (ISO 4217).
var decimals = map[Currency]int{
	"USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "CAD": 2, "AUD": 2, "JPY": 0, "KWD": 3,
}

// Valid reports whether the shop trades in c.
func (c Currency) Valid() bool { _, ok := decimals[c]; return ok }

// MarshalGQL writes c as a GraphQL enum value.
func (c Currency) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// UnmarshalGQL reads a GraphQL enum value.
func (c *Currency) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok || !Currency(s).Valid() {
		return fmt.Errorf("%v is not a supported CurrencyCode", v)
	}
	*c = Currency(s)
	return nil
}

// Money is the GraphQL type Money.
type Money struct {
	Minor    int64
	Currency Currency
}

// MinorUnits is the amount in the currency's smallest unit. GraphQL Int is
// 32-bit, so amounts beyond ±21,474,836.47 USD must be read from Amount.
func (m Money) MinorUnits() int { return int(m.Minor) }

// CurrencyCode is the ISO 4217 code.
func (m Money) CurrencyCode() Currency { return m.Currency }

// Amount is the decimal string, with exactly the currency's decimals:
// 1999 USD is "19.99", 1500 JPY is "1500", 1 KWD minor unit is "0.001".
func (m Money) Amount() string {
	d := decimals[m.Currency]
	neg := m.Minor < 0
	n := m.Minor
	if neg {
		n = -n
	}
	s := strconv.FormatInt(n, 10)
	if d > 0 {
		if len(s) <= d {
			s = strings.Repeat("0", d-len(s)+1) + s
		}
		s = s[:len(s)-d] + "." + s[len(s)-d:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Parse reads a decimal amount such as "19.99" in currency c. More
// decimals than the currency has ("19.999" USD, "5.5" JPY) is an error,
// never a rounding: the client meant something we cannot represent.
func Parse(amount string, c Currency) (Money, error) {
	d, ok := decimals[c]
	if !ok {
		return Money{}, fmt.Errorf("%q is not a supported currency", c)
	}
	s := strings.TrimSpace(amount)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || len(frac) > d || !digits(whole) || !digits(frac) || len(whole) > 15 {
		return Money{}, fmt.Errorf("%q is not an amount of %s with at most %d decimals", amount, c, d)
	}
	frac += strings.Repeat("0", d-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return Money{}, fmt.Errorf("%q is out of range", amount)
	}
	if neg {
		n = -n
	}
	return Money{Minor: n, Currency: c}, nil
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
