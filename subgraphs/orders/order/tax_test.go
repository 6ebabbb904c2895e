package order

import (
	"testing"
)

func TestSplit(t *testing.T) {
	sum := func(ts []Taxed) (tax int64) {
		for _, x := range ts {
			if x.Net+x.Tax != x.Gross {
				t.Fatalf("net %d + tax %d != gross %d", x.Net, x.Tax, x.Gross)
			}
			tax += x.Tax
		}
		return tax
	}
	r7, r19, r10 := Rate(70_000), Rate(190_000), Rate(100_000)
	for _, tt := range []struct {
		name     string
		amounts  []int64
		rates    []Rate
		gross    bool
		rounding Rounding
		exempt   bool
		wantTax  []int64
		wantNet  []int64
	}{
		// research/commerce-depth.md §1 check (a): three 1.05 lines at 7%.
		{"(a) per line", []int64{105, 105, 105}, []Rate{r7, r7, r7}, false, RoundLine, false, []int64{7, 7, 7}, []int64{105, 105, 105}},
		{"(a) per order and rate", []int64{105, 105, 105}, []Rate{r7, r7, r7}, false, RoundOrderPerRate, false, []int64{7, 8, 7}, []int64{105, 105, 105}},
		// Check (c): 11.90 entered gross at 19% is 10.00 net and 1.90 tax.
		{"(c) entered gross", []int64{1190}, []Rate{r19}, true, RoundLine, false, []int64{190}, []int64{1000}},
		// JPY has no minor unit: ¥1,980 at 10% gross holds ¥180.
		{"JPY gross", []int64{1980, 500}, []Rate{r10, r10}, true, RoundLine, false, []int64{180, 45}, []int64{1800, 455}},
		// ¥999 net at 10%: 99.9 rounds to 100.
		{"JPY net", []int64{999}, []Rate{r10}, false, RoundLine, false, []int64{100}, []int64{999}},
		// KWD has three decimals: 1.234 KWD at 5% is 0.0617 → 0.062.
		{"KWD", []int64{1234}, []Rate{50_000}, false, RoundLine, false, []int64{62}, []int64{1234}},
		// Half a cent rounds away from zero: 0.50 at 1% is 0.005 → 0.01.
		{"half up", []int64{50}, []Rate{10_000}, false, RoundLine, false, []int64{1}, []int64{50}},
		{"two rates per order", []int64{105, 1190, 105}, []Rate{r7, r19, r7}, false, RoundOrderPerRate, false, []int64{7, 226, 8}, []int64{105, 1190, 105}},
		{"exempt, net", []int64{1000}, []Rate{r19}, false, RoundLine, true, []int64{0}, []int64{1000}},
		{"exempt, gross: pays the net", []int64{1190}, []Rate{r19}, true, RoundLine, true, []int64{0}, []int64{1000}},
		{"zero rate", []int64{1000}, []Rate{0}, true, RoundLine, false, []int64{0}, []int64{1000}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Split(tt.amounts, tt.rates, tt.gross, tt.rounding, tt.exempt)
			sum(got)
			for i := range got {
				if got[i].Tax != tt.wantTax[i] || got[i].Net != tt.wantNet[i] {
					t.Errorf("line %d: net %d tax %d, want net %d tax %d", i, got[i].Net, got[i].Tax, tt.wantNet[i], tt.wantTax[i])
				}
			}
		})
	}
	// The order total at one rate is rounded once: 3.15 at 7% is 0.22.
	if got := sum(Split([]int64{105, 105, 105}, []Rate{r7, r7, r7}, false, RoundOrderPerRate, false)); got != 22 {
		t.Errorf("ORDER_PER_RATE total tax %d, want 22", got)
	}
	if got := sum(Split([]int64{105, 105, 105}, []Rate{r7, r7, r7}, false, RoundLine, false)); got != 21 {
		t.Errorf("LINE total tax %d, want 21", got)
	}
}

func TestParseRate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Rate
		ok   bool
	}{
		{"19", 190_000, true}, {"8.875", 88_750, true}, {"0", 0, true}, {"100", FullRate, true}, {"7.25", 72_500, true},
		{"100.0001", 0, false}, {"-1", 0, false}, {"101", 0, false}, {"1.23456", 0, false}, {"", 0, false},
		{"abc", 0, false}, {"1e2", 0, false}, {".5", 0, false}, {"19%", 0, false},
	} {
		got, ok := ParseRate(tt.in)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("ParseRate(%q) = %d, %v; want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for r, want := range map[Rate]string{190_000: "19", 88_750: "8.875", 0: "0", FullRate: "100", 72_500: "7.25"} {
		if got := r.Percent(); got != want {
			t.Errorf("%d.Percent() = %q, want %q", r, got, want)
		}
	}
}
