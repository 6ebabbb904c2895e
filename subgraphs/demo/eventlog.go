package demo

import (
	"fmt"
	"time"
)

// Event is a domain event as the service that owns the change would have
// written it to its outbox (schema/events/README.md): the consumers'
// seeds (analytics' log, notifications' messages) start from these, so a
// real event of the same id, relayed later, is recognised as a repeat.
type Event struct {
	ID, Type, Source string
	At               time.Time
	Payload          map[string]any
}

// Ids of the events the seeds share. The orders events' ids are the
// orders subgraph's own (stable by design); payments and inventory draw
// random ids live, so the demo fixes its own here, for every seed that
// writes or consumes them to agree on.

// PlacedEventID is the id of o's order.placed.
func PlacedEventID(orderID string) string { return "evt_" + orderID + "_placed" }

// StatusEventID is the id of the order.status_changed of o's version v.
func StatusEventID(orderID string, version int) string {
	return fmt.Sprintf("evt_%s_v%d", orderID, version)
}

// TransactionEventID is the id of a transaction's payment.transaction_settled.
func TransactionEventID(txnID string) string { return "evt_" + txnID }

// LowStockEventID is the id of the inventory.low_stock of a stock level.
func LowStockEventID(warehouseID, variantID string) string {
	return "evt_lowstock_" + warehouseID + "_" + variantID
}

// OrderEvents are the events o's history published, oldest first: its
// placement, every status change (with order.canceled beside a cancel and
// order.fulfillment_created beside a shipment) and the settlement of every
// payment transaction, when the provider's answer came. Payloads are as the orders and
// payments subgraphs write them; like theirs, they carry no session id.
func (w *World) OrderEvents(o *Order) []Event {
	out := make([]Event, 0, 2+2*len(o.History)+len(o.Payment.Transactions))
	placedStatus, paid := o.History[0].To, "NONE"
	if placedStatus == Confirmed {
		paid = "AUTHORIZED"
	}
	lines := make([]map[string]any, len(o.Lines))
	for i, l := range o.Lines {
		lines[i] = map[string]any{"variantId": l.VariantID, "sku": l.SKU, "name": l.Name, "quantity": l.Quantity,
			"unitPriceMinor": l.UnitPriceMinor, "productId": l.ProductID, "categoryId": l.CategoryID}
	}
	units := o.Units()
	out = append(out, Event{ID: PlacedEventID(o.ID), Type: "order.placed", Source: "orders", At: o.PlacedAt, Payload: map[string]any{
		"orderId": o.ID, "number": o.Number, "userId": o.UserID, "channel": o.Channel, "status": placedStatus, "paymentStatus": paid,
		"paymentId": o.Payment.ID, "currency": o.Currency, "subtotalMinor": o.SubtotalMinor, "shippingMinor": o.ShippingMinor,
		"totalMinor": o.TotalMinor, "shippingMethod": o.ShippingMethod, "shipToCountry": o.Address.Country, "units": units,
		"lines": lines, "at": stamp(o.PlacedAt)}})
	shipments := o.Fulfillments
	for _, h := range o.History {
		var from any
		if h.From != "" {
			from = h.From
		}
		common := func() map[string]any {
			return map[string]any{"orderId": o.ID, "number": o.Number, "userId": o.UserID, "from": from, "version": h.Version,
				"actor": h.Actor, "at": stamp(h.At), "channel": o.Channel, "currency": o.Currency, "totalMinor": o.TotalMinor, "units": units}
		}
		changed := common()
		changed["to"] = h.To
		out = append(out, Event{ID: StatusEventID(o.ID, h.Version), Type: "order.status_changed", Source: "orders", At: h.At, Payload: changed})
		switch h.To {
		case Canceled:
			canceled := common()
			canceled["reason"], canceled["paymentStatus"] = h.Note, o.PaymentStatus
			out = append(out, Event{ID: "evt_" + o.ID + "_canceled", Type: "order.canceled", Source: "orders", At: h.At, Payload: canceled})
		case PartiallyShipped, Shipped:
			// Each shipping status change shipped the next fulfilment.
			if len(shipments) == 0 {
				break
			}
			f := shipments[0]
			shipments = shipments[1:]
			fl := make([]map[string]any, len(f.Lines))
			for i, l := range f.Lines {
				fl[i] = map[string]any{"variantId": l.VariantID, "quantity": l.Quantity}
			}
			out = append(out, Event{ID: "evt_" + f.ID, Type: "order.fulfillment_created", Source: "orders", At: f.At, Payload: map[string]any{
				"orderId": o.ID, "number": o.Number, "userId": o.UserID, "fulfillmentId": f.ID, "carrier": f.Carrier,
				"trackingNumber": f.TrackingNumber, "lines": fl, "actor": f.Actor, "at": stamp(f.At)}})
		}
	}
	for _, t := range o.Payment.Transactions {
		out = append(out, Event{ID: TransactionEventID(t.ID), Type: "payment.transaction_settled", Source: "payments", At: t.SettledAt,
			Payload: map[string]any{"paymentId": o.Payment.ID, "orderId": o.ID, "userId": o.UserID, "transactionId": t.ID, "kind": t.Kind,
				"outcome": t.Outcome, "amountMinor": t.AmountMinor, "currency": o.Currency, "errorCode": ""}})
	}
	return out
}

// AccountEvents are the user.registered events the users seed writes to
// its outbox, one per customer and staff member, with its ids and times.
func (w *World) AccountEvents() []Event {
	out := make([]Event, 0, len(w.Customers)+len(w.Staff))
	reg := func(id, email, name, locale string, at time.Time) {
		out = append(out, Event{ID: "evt_seed_" + id, Type: "user.registered", Source: "users", At: at,
			Payload: map[string]any{"userId": id, "email": email, "name": name, "locale": locale}})
	}
	for _, c := range w.Customers {
		reg(c.ID, c.Email, c.Name(), c.Locale, c.CreatedAt)
	}
	for _, s := range w.Staff {
		reg(s.ID, s.Email, s.Name, "en", StaffSince(w.Until))
	}
	return out
}

// StaffSince is when the demo staff's accounts were created.
func StaffSince(until time.Time) time.Time { return until.AddDate(-2, 0, 0) }

// LowStockEvents are the inventory.low_stock alerts of the stock levels
// at or below their threshold, as the inventory seed keeps them open:
// raised when the level last fell, with the last order that took from it,
// or with the opening stock (the day before the history) when none did.
func (w *World) LowStockEvents() []Event {
	last := map[[2]string]time.Time{}
	for _, o := range w.Orders {
		for _, l := range o.Lines {
			last[[2]string{l.WarehouseID, l.VariantID}] = o.PlacedAt
		}
	}
	opening := w.Until.AddDate(0, 0, -HistoryDays-1)
	var out []Event
	for _, s := range w.Stock {
		if s.Free > s.Threshold {
			continue
		}
		at, ok := last[[2]string{s.WarehouseID, s.VariantID}]
		if !ok {
			at = opening
		}
		out = append(out, Event{ID: LowStockEventID(s.WarehouseID, s.VariantID), Type: "inventory.low_stock", Source: "inventory", At: at,
			Payload: map[string]any{"warehouseId": s.WarehouseID, "variantId": s.VariantID, "available": s.Free, "threshold": s.Threshold}})
	}
	return out
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
