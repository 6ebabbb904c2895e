package order

import (
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Rate is a tax rate in millionths: 19% is 190000, 8.875% is 88750. Whole
// integers, so no float ever touches money.
type Rate int64

// FullRate is 100%.
const FullRate Rate = 1_000_000

// ParseRate reads a percentage with at most four decimals ("19",
// "8.875"); false when it is not one or lies outside 0 to 100.
func ParseRate(percent string) (Rate, bool) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(percent), ".")
	if whole == "" || len(frac) > 4 || !digits(whole) || (frac != "" && !digits(frac)) || len(whole) > 3 {
		return 0, false
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "0000")[:4], 10, 64)
	r := Rate(w*10_000 + f)
	return r, r <= FullRate
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// Percent is r as a percentage without trailing zeros: "19", "8.875".
func (r Rate) Percent() string {
	s := fmt.Sprintf("%d.%04d", r/10_000, r%10_000)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// Rounding is where tax is rounded to the currency's minor unit.
type Rounding string

// Roundings (research/commerce-depth.md §1). RoundLine rounds each line
// and sums (Vendure's and Saleor's default); RoundOrderPerRate rounds the
// sum of each rate once and shares it out over the lines so they still
// add up to it.
const (
	RoundLine         Rounding = "LINE"
	RoundOrderPerRate Rounding = "ORDER_PER_RATE"
)

// ChannelTax is how a channel's prices relate to tax.
type ChannelTax struct {
	// PricesIncludeTax: catalog and shipping prices are entered gross (the
	// customer's price, tax inside); else net, with tax added on top.
	PricesIncludeTax bool
	Rounding         Rounding
}

// Taxed is an amount in minor units split into net and tax:
// Net + Tax == Gross, always.
type Taxed struct {
	Net, Tax, Gross int64
	Rate            Rate
}

// Split taxes amounts (line totals, shipping) at their rates, entered gross
// or net, rounded to whole minor units as rounding says. Each result has
// Net+Tax == Gross; with RoundOrderPerRate the taxes of one rate sum to
// that rate's total rounded once. Exempt: no tax is charged, and an amount
// entered gross loses the tax it held (the customer pays the net).
func Split(amounts []int64, rates []Rate, gross bool, rounding Rounding, exempt bool) []Taxed {
	out := make([]Taxed, len(amounts))
	// cum is the running sum per rate: rounding the running sum and taking
	// differences shares a once-rounded total over the lines.
	cum := map[Rate]int64{}
	for i, a := range amounts {
		r := rates[i]
		base := a
		prev := int64(0)
		if rounding == RoundOrderPerRate {
			prev = cum[r]
			cum[r] += a
			base = cum[r]
		}
		if gross {
			net := netOf(base, r) - netOf(prev, r)
			out[i] = Taxed{Net: net, Tax: a - net, Gross: a, Rate: r}
		} else {
			tax := taxOf(base, r) - taxOf(prev, r)
			out[i] = Taxed{Net: a, Tax: tax, Gross: a + tax, Rate: r}
		}
		if exempt {
			out[i] = Taxed{Net: out[i].Net, Gross: out[i].Net}
		}
	}
	return out
}

// taxOf is net×r rounded half away from zero.
func taxOf(net int64, r Rate) int64 { return mulDivRound(net, int64(r), int64(FullRate)) }

// netOf is gross÷(1+r) rounded half away from zero.
func netOf(gross int64, r Rate) int64 {
	return mulDivRound(gross, int64(FullRate), int64(FullRate+r))
}

// mulDivRound is a×b÷c rounded half away from zero, without overflow.
func mulDivRound(a, b, c int64) int64 {
	n := new(big.Int).Mul(big.NewInt(a), big.NewInt(b))
	d := big.NewInt(c)
	q, m := new(big.Int).QuoRem(n, d, new(big.Int))
	if new(big.Int).Mul(new(big.Int).Abs(m), big.NewInt(2)).Cmp(d) >= 0 {
		if n.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return q.Int64()
}
