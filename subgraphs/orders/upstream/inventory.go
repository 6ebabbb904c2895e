package upstream

import (
	"context"
	"fmt"

	"github.com/myshop/supergraph/subgraphs/orders/order"
)

// Inventory is order.Inventory over the inventory subgraph, as the
// orders service (RESERVE_STOCK, MANAGE_ORDERS).
type Inventory struct {
	c      *Client
	tokens TokenSource
}

// NewInventory returns the inventory client.
func NewInventory(c *Client, tokens TokenSource) *Inventory { return &Inventory{c: c, tokens: tokens} }

var _ order.Inventory = (*Inventory)(nil)

// Available is each variant's sellable units over all warehouses.
func (i *Inventory) Available(ctx context.Context, ids []string) (map[string]int, error) {
	var out struct {
		Entities []*struct {
			ID                string `json:"id"`
			AvailableQuantity int    `json:"availableQuantity"`
		} `json:"_entities"`
	}
	err := i.c.Do(ctx, "", `query($r: [_Any!]!) { _entities(representations: $r) { ... on ProductVariant { id availableQuantity } } }`,
		map[string]any{"r": representations("ProductVariant", ids)}, &out)
	if err != nil {
		return nil, err
	}
	m := make(map[string]int, len(ids))
	for _, e := range out.Entities {
		if e != nil {
			m[e.ID] = e.AvailableQuantity
		}
	}
	return m, nil
}

type reservationPayload struct {
	Reservation *struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"reservation"`
	Errors []struct {
		payloadError
		Shortages []order.Shortage `json:"shortages"`
	} `json:"errors"`
}

// Reserve holds the lines, summed per variant by inventory.
func (i *Inventory) Reserve(ctx context.Context, r order.ReserveRequest) (string, error) {
	lines := make([]map[string]any, len(r.Lines))
	for j, l := range r.Lines {
		lines[j] = map[string]any{"variantId": l.VariantID, "quantity": l.Quantity}
	}
	var out struct{ ReserveStock reservationPayload }
	err := i.do(ctx, `mutation($in: ReserveStockInput!) { reserveStock(input: $in) {
  reservation { id status } errors { code message shortages { variantId requested available } } } }`,
		map[string]any{"in": map[string]any{"reference": r.Reference, "lines": lines, "shipToCountry": r.Country,
			"ttlSeconds": int(r.TTL.Seconds()), "idempotencyKey": r.IdempotencyKey}}, &out)
	if err != nil {
		return "", err
	}
	p := out.ReserveStock
	if len(p.Errors) > 0 {
		if p.Errors[0].Code == "INSUFFICIENT_STOCK" {
			return "", &order.ShortageError{Shortages: p.Errors[0].Shortages}
		}
		return "", &order.StateError{Message: p.Errors[0].Message}
	}
	if p.Reservation == nil {
		return "", fmt.Errorf("%w: reserveStock gave no reservation", order.ErrUnavailable)
	}
	return p.Reservation.ID, nil
}

// Convert turns the hold into allocations.
func (i *Inventory) Convert(ctx context.Context, id string) error {
	return i.move(ctx, "convertReservation", id, "CONVERTED")
}

// Release gives the units back.
func (i *Inventory) Release(ctx context.Context, id string) error {
	return i.move(ctx, "releaseReservation", id, "RELEASED")
}

// FulfillLines records that these units of the reservation shipped; the
// key (the fulfilment's id) makes a repeat ship nothing more.
func (i *Inventory) FulfillLines(ctx context.Context, id string, lines []order.FulfillmentLine, key string) error {
	ls := make([]map[string]any, len(lines))
	for j, l := range lines {
		ls[j] = map[string]any{"variantId": l.VariantID, "quantity": l.Quantity}
	}
	var out struct{ FulfillReservationLines reservationPayload }
	err := i.do(ctx, `mutation($id: ID!, $l: [StockLineInput!]!, $k: String!) { fulfillReservationLines(id: $id, lines: $l, idempotencyKey: $k) {
  reservation { id status } errors { code message } } }`, map[string]any{"id": id, "l": ls, "k": key}, &out)
	if err != nil {
		return err
	}
	if p := out.FulfillReservationLines; len(p.Errors) > 0 {
		status := ""
		if p.Reservation != nil {
			status = p.Reservation.Status
		}
		return &order.StateError{Status: status, Message: p.Errors[0].Message}
	}
	return nil
}

// move calls one of the reservation mutations; a reservation already in
// the target status is a success, so each move can be repeated.
func (i *Inventory) move(ctx context.Context, field, id, target string) error {
	var out map[string]reservationPayload
	err := i.do(ctx, `mutation($id: ID!) { `+field+`(id: $id) { reservation { id status } errors { code message } } }`,
		map[string]any{"id": id}, &out)
	if err != nil {
		return err
	}
	p := out[field]
	if len(p.Errors) == 0 {
		return nil
	}
	status := ""
	if p.Reservation != nil {
		status = p.Reservation.Status
	}
	if status == target {
		return nil
	}
	return &order.StateError{Status: status, Message: p.Errors[0].Message}
}

func (i *Inventory) do(ctx context.Context, query string, vars map[string]any, out any) error {
	authz, err := bearer(ctx, i.tokens)
	if err != nil {
		return err
	}
	return i.c.Do(ctx, authz, query, vars, out)
}
