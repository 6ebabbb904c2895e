package money

import "testing"

func TestAmount(t *testing.T) {
	tests := []struct {
		m    Money
		want string
	}{
		{Money{1999, "USD"}, "19.99"},
		{Money{5, "USD"}, "0.05"},
		{Money{0, "EUR"}, "0.00"},
		{Money{-250, "EUR"}, "-2.50"},
		{Money{1500, "JPY"}, "1500"},
		{Money{1, "KWD"}, "0.001"},
		{Money{12345, "KWD"}, "12.345"},
	}
	for _, tt := range tests {
		if got := tt.m.Amount(); got != tt.want {
			t.Errorf("%+v.Amount() = %q, want %q", tt.m, got, tt.want)
		}
	}
}

func TestCurrencyUnmarshal(t *testing.T) {
	var c Currency
	if err := c.UnmarshalGQL("JPY"); err != nil || c != "JPY" {
		t.Fatalf("JPY: %v %q", err, c)
	}
	if err := c.UnmarshalGQL("XXX"); err == nil {
		t.Fatal("XXX accepted")
	}
	if err := c.UnmarshalGQL(3); err == nil {
		t.Fatal("a number accepted")
	}
}

func TestParse(t *testing.T) {
	good := []struct {
		in   string
		c    Currency
		want int64
	}{
		{"19.99", "USD", 1999}, {"19.9", "USD", 1990}, {"19", "USD", 1900}, {"0.01", "USD", 1},
		{"1500", "JPY", 1500}, {"1.234", "KWD", 1234}, {"-2.50", "EUR", -250},
	}
	for _, g := range good {
		m, err := Parse(g.in, g.c)
		if err != nil || m.Minor != g.want || m.Currency != g.c {
			t.Errorf("Parse(%q, %s) = %+v, %v; want %d", g.in, g.c, m, err, g.want)
		}
	}
	for _, b := range []struct {
		in string
		c  Currency
	}{{"19.999", "USD"}, {"5.5", "JPY"}, {"abc", "USD"}, {"", "USD"}, {"1.", "USD"}, {".5", "USD"}, {"1e3", "USD"}, {"1,00", "EUR"}, {"10", "XXX"}, {"99999999999999999999", "USD"}} {
		if _, err := Parse(b.in, b.c); err == nil {
			t.Errorf("Parse(%q, %s) accepted", b.in, b.c)
		}
	}
}
