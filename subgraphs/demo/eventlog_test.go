package demo

import (
	"testing"
	"time"
)

// The consumers dedupe on event ids and order status changes by version:
// the world's events must have one id each and versions without gaps.
func TestOrderEventsAreTheServicesOwn(t *testing.T) {
	w, err := New(Options{Scale: 1, Until: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	all := append(w.AccountEvents(), w.LowStockEvents()...)
	for i := range w.Orders {
		o := &w.Orders[i]
		evs := w.OrderEvents(o)
		if evs[0].ID != PlacedEventID(o.ID) || evs[0].Payload["status"] != o.History[0].To {
			t.Fatalf("%s does not start with its placement: %+v", o.ID, evs[0])
		}
		version, shipped, settled := 0, 0, 0
		for _, e := range evs {
			switch e.Type {
			case "order.status_changed":
				version++
				if e.ID != StatusEventID(o.ID, version) || e.Payload["version"] != version {
					t.Errorf("%s: %s is not version %d", o.ID, e.ID, version)
				}
			case "order.fulfillment_created":
				shipped++
			case "payment.transaction_settled":
				settled++
			}
		}
		if version != len(o.History) || shipped != len(o.Fulfillments) || settled != len(o.Payment.Transactions) {
			t.Errorf("%s: %d changes, %d shipments, %d settlements; the order has %d, %d, %d", o.ID, version, shipped, settled,
				len(o.History), len(o.Fulfillments), len(o.Payment.Transactions))
		}
		all = append(all, evs...)
	}
	for _, e := range all {
		if seen[e.ID] {
			t.Errorf("event id %s twice", e.ID)
		}
		seen[e.ID] = true
		if e.At.After(w.Until.Add(7 * 24 * time.Hour)) {
			t.Errorf("%s happens long after the history: %v", e.ID, e.At)
		}
	}
	if len(w.LowStockEvents()) == 0 {
		t.Error("no low-stock alert")
	}
}
