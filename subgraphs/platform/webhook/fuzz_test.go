package webhook

import (
	"strings"
	"testing"
	"time"
)

// FuzzVerify: any header and body either verifies or is refused; only a
// header made with the secret for exactly this body verifies.
func FuzzVerify(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"id":"evt_1","type":"payment_intent.succeeded"}`)
	f.Add(Sign("whsec", now, body), body)
	f.Add("t=1800000000,v1=00", body)
	f.Add("t=,v1=", []byte{})
	f.Add("v1=abc,t=1800000000,v1="+Sign("whsec", now, body)[len("t=1800000000,v1="):], body)
	f.Add("t=99999999999999999999,v1=ff", body)
	f.Fuzz(func(t *testing.T, header string, payload []byte) {
		err := Verify("whsec", header, payload, now)
		if err == nil && header != Sign("whsec", now, payload) && !containsValid(header, payload, now) {
			t.Fatalf("accepted a header not signed for this body: %q", header)
		}
	})
}

// containsValid reports whether the header carries, among others, the
// signature of payload at a timestamp within tolerance (rotation sends
// several v1 values).
func containsValid(header string, payload []byte, now time.Time) bool {
	for d := -5 * time.Minute; d <= 5*time.Minute; d += time.Second {
		want := Sign("whsec", now.Add(d), payload)
		sig := want[len(want)-64:]
		if strings.Contains(header, sig) {
			return true
		}
	}
	return false
}
