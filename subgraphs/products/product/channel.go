package product

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// DefaultChannel is the channel of Product.price and of a products query
// that names none.
const DefaultChannel = "default-usd"

// Channels are the sales channels and their currencies. The channels table
// holds the same rows, so prices can reference them.
var Channels = map[string]money.Currency{
	"default-usd": "USD",
	"eu-eur":      "EUR",
	"jp-jpy":      "JPY",
}


// MaxAmount bounds prices so they stay exact everywhere (GraphQL Int,
// float64 in clients): 10 million major units.
const MaxAmount = 10_000_000

// ParseAmount reads a decimal string such as "19.99" into minor units of
// c. It refuses negative amounts, exponents, and more decimals than c has.
func ParseAmount(s string, c money.Currency) (int64, error) {
	d := decimalsOf(c)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) {
		if strings.HasPrefix(s, "-") {
			return 0, fmt.Errorf("amount %q is negative", s)
		}
		return 0, fmt.Errorf("amount %q is not a decimal number such as 19.99", s)
	}
	if len(frac) > d {
		return 0, fmt.Errorf("amount %q has more than %d decimals for %s", s, d, c)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > MaxAmount {
		return 0, fmt.Errorf("amount %q is larger than %d", s, MaxAmount)
	}
	frac += strings.Repeat("0", d-len(frac))
	minor := w
	for range d {
		minor *= 10
	}
	if frac != "" {
		f, _ := strconv.ParseInt(frac, 10, 64) // digits only, at most 3
		minor += f
	}
	return minor, nil
}

// decimalsOf is c's number of minor-unit digits, read from how money
// formats one minor unit ("0.01" → 2, "1" → 0), so the table stays in one
// place: the money package.
func decimalsOf(c money.Currency) int {
	_, frac, _ := strings.Cut(money.Money{Minor: 1, Currency: c}.Amount(), ".")
	return len(frac)
}

// MajorToMinor converts whole major units of c to minor units.
func MajorToMinor(major int64, c money.Currency) int64 {
	for range decimalsOf(c) {
		major *= 10
	}
	return major
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
