package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	platformoutbox "github.com/myshop/supergraph/subgraphs/platform/outbox"
)

// Event ids are stable: made from the order (and its version, or the
// fulfilment), never random, so a replayed change cannot announce itself
// twice under two ids and consumers can dedupe (saleor#14251).

// eventOrder is what the order events say about their order besides the
// change: enough for notifications and analytics to need no lookup.
type eventOrder struct {
	ID, UserID, Channel, Currency string
	Number, TotalMinor            int64
	Units                         int
	PaymentStatus                 string
}

// recordEvent writes an order's status change to its history and to the
// outbox as order.status_changed (and order.canceled when it is one), in
// the caller's transaction, which announces it once committed. It is the
// one place every status change goes through.
func recordEvent(ctx context.Context, tx *changeTx, o eventOrder, version int, from, to order.Status, actor, note string) error {
	var fromCol *string
	if from != "" {
		f := string(from)
		fromCol = &f
	}
	var at time.Time
	if err := tx.QueryRow(ctx, `INSERT INTO order_events (order_id, version, from_status, to_status, actor, note)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING at`, o.ID, version, fromCol, string(to), actor, note).Scan(&at); err != nil {
		return err
	}
	common := map[string]any{"orderId": o.ID, "number": o.Number, "userId": o.UserID, "from": fromCol, "version": version,
		"actor": actor, "at": at.UTC().Format(time.RFC3339Nano), "channel": o.Channel, "currency": o.Currency,
		"totalMinor": o.TotalMinor, "units": o.Units}
	changed := map[string]any{"to": string(to)}
	for k, v := range common {
		changed[k] = v
	}
	if err := outbox(ctx, tx, fmt.Sprintf("evt_%s_v%d", o.ID, version), "order.status_changed", changed); err != nil {
		return err
	}
	tx.changes = append(tx.changes, order.StatusChange{OrderID: o.ID, UserID: o.UserID, From: from, To: to, Version: version, At: at})
	if to != order.Canceled {
		return nil
	}
	common["reason"], common["paymentStatus"] = note, o.PaymentStatus
	return outbox(ctx, tx, "evt_"+o.ID+"_canceled", "order.canceled", common)
}

// placedLine is a line of an order.placed event.
type placedLine struct {
	VariantID      string `json:"variantId"`
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unitPriceMinor"`
	TaxMinor       int64  `json:"taxMinor"`
	ProductID      string `json:"productId"`
	CategoryID     string `json:"categoryId"`
}

// recordPlaced announces a new order (CONFIRMED, or PENDING_PAYMENT while
// the customer's bank confirms) once, with its lines and money.
func recordPlaced(ctx context.Context, tx pgx.Tx, s order.Saga, o eventOrder, status order.Status, paid order.PaymentStatus, at time.Time) error {
	lines := make([]placedLine, len(s.Lines))
	for i, l := range s.Lines {
		lines[i] = placedLine{VariantID: l.VariantID, SKU: l.SKU, Name: l.Name, Quantity: l.Quantity, UnitPriceMinor: l.UnitPrice.Minor, TaxMinor: l.Tax.Minor,
			ProductID: l.ProductID, CategoryID: l.CategoryID}
	}
	return outbox(ctx, tx, "evt_"+s.ID+"_placed", "order.placed", map[string]any{"orderId": s.ID, "number": o.Number,
		"userId": s.UserID, "channel": s.Channel, "status": string(status), "paymentStatus": string(paid), "paymentId": s.PaymentID,
		"currency": o.Currency, "subtotalMinor": subtotal(s.Lines), "shippingMinor": s.ShippingPrice.Minor,
		"taxMinor": s.TaxTotal.Minor, "shippingTaxMinor": s.ShippingTax.Minor, "pricesIncludeTax": s.PricesIncludeTax,
		"totalMinor": s.Total.Minor, "shippingMethod": string(s.ShippingMethod), "shipToCountry": s.Address.CountryCode,
		"units": o.Units, "lines": lines, "at": at.UTC().Format(time.RFC3339Nano), "guestEmail": s.GuestEmail})
}

// recordFulfilled announces a shipment, with its tracking, for the mail
// that tells the customer.
func recordFulfilled(ctx context.Context, tx pgx.Tx, f order.Fulfillment, o eventOrder, at time.Time) error {
	lines := make([]map[string]any, len(f.Lines))
	for i, l := range f.Lines {
		lines[i] = map[string]any{"variantId": l.VariantID, "quantity": l.Quantity}
	}
	return outbox(ctx, tx, "evt_"+f.ID, "order.fulfillment_created", map[string]any{"orderId": o.ID, "number": o.Number,
		"userId": o.UserID, "fulfillmentId": f.ID, "carrier": f.Carrier, "trackingNumber": f.TrackingNumber, "lines": lines,
		"actor": f.Actor, "at": at.UTC().Format(time.RFC3339Nano)})
}

func outbox(ctx context.Context, tx pgx.Tx, id, typ string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return platformoutbox.RecordAs(ctx, tx, id, typ, b)
}
