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
