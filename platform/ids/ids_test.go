package ids

import (
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	a := New("pay")
	time.Sleep(2 * time.Millisecond)
	b := New("pay")
	if !strings.HasPrefix(a, "pay_") || len(a) != len("pay_")+26 {
		t.Fatalf("New = %q", a)
	}
	if a >= b {
		t.Fatalf("ids do not sort by creation: %q then %q", a, b)
	}
	seen := map[string]bool{}
	for range 1000 {
		id := New("x")
		if seen[id] {
			t.Fatalf("duplicate %s", id)
		}
		seen[id] = true
	}
}
