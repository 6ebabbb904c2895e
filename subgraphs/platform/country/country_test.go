package country

import "testing"

func TestValid(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]bool{"DE": true, "US": true, "KW": true, "de": false, "XX": false, "D": false, "DEU": false, "": false, " D": false} {
		if got := Valid(code); got != want {
			t.Errorf("Valid(%q) = %v", code, got)
		}
	}
}
