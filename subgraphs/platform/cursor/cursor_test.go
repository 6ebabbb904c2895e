package cursor

import (
	"testing"

	"github.com/myshop/supergraph/platform/errs"
)

func TestRoundTrip(t *testing.T) {
	c := Encode("products", "prd_00042")
	got, err := Decode("products", c)
	if err != nil || got != "prd_00042" {
		t.Fatalf("Decode = %q, %v", got, err)
	}
}

func TestDecodeRefuses(t *testing.T) {
	for name, c := range map[string]string{
		"not base64":   "%%%",
		"other list":   Encode("reviews", "rev_1"),
		"no separator": "cHJvZHVjdHM",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode("products", c); errs.CodeOf(err) != errs.InvalidCursor {
				t.Fatalf("code = %v, want INVALID_CURSOR (err %v)", errs.CodeOf(err), err)
			}
		})
	}
	if key, err := Decode("products", ""); err != nil || key != "" {
		t.Fatalf("empty cursor: %q %v", key, err)
	}
}

func TestFirst(t *testing.T) {
	for _, n := range []int{-1, 101} {
		if errs.CodeOf(First(n)) != errs.Invalid {
			t.Errorf("First(%d) accepted", n)
		}
	}
	for _, n := range []int{0, 1, 100} {
		if err := First(n); err != nil {
			t.Errorf("First(%d) = %v", n, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	five, big := 5, 101
	if n, err := PageSize(nil, 20); n != 20 || err != nil {
		t.Errorf("nil: %d %v", n, err)
	}
	if n, err := PageSize(&five, 20); n != 5 || err != nil {
		t.Errorf("5: %d %v", n, err)
	}
	if _, err := PageSize(&big, 20); errs.CodeOf(err) != errs.Invalid {
		t.Errorf("101 accepted: %v", err)
	}
}
