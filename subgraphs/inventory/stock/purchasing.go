package stock

import (
	"context"
	"errors"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Warehouse is a place stock is kept and shipped from.
type Warehouse struct {
	ID         string
	Name       string
	Street     string
	City       string
	PostalCode string
	Country    string
	Countries  []string // ships to
	Priority   int
	Active     bool
}

// Supplier sells us stock.
type Supplier struct {
	ID           string
	Name         string
	ContactEmail string
	ContactPhone string
	LeadTimeDays int
}

// PurchaseOrder is stock ordered from a supplier for a warehouse.
type PurchaseOrder struct {
	ID          string
	SupplierID  string
	WarehouseID string
	Status      POStatus
	Lines       []POLine
	CreatedAt   time.Time
}

// POLine is one variant of a purchase order.
type POLine struct {
	VariantID string
	Ordered   int
	Received  int
}

// POStatus is a purchase order's state.
type POStatus string

// Purchase order states: DRAFT → ORDERED → PARTIALLY_RECEIVED → RECEIVED;
// DRAFT and ORDERED can be CANCELED.
const (
	PODraft             POStatus = "DRAFT"
	POOrdered           POStatus = "ORDERED"
	POPartiallyReceived POStatus = "PARTIALLY_RECEIVED"
	POReceived          POStatus = "RECEIVED"
	POCanceled          POStatus = "CANCELED"
)

// PurchasingStore keeps warehouses, suppliers and purchase orders.
type PurchasingStore interface {
	Warehouses(ctx context.Context) ([]Warehouse, error)
	Suppliers(ctx context.Context) ([]Supplier, error)
	PurchaseOrders(ctx context.Context, ids []string) ([]PurchaseOrder, error)
	CreatePurchaseOrder(ctx context.Context, po PurchaseOrder) error
	// SetPOStatus moves a purchase order from one of from to to.
	SetPOStatus(ctx context.Context, id string, from []POStatus, to POStatus) error
	// Receive adds received units to the order's lines and to stock (a
	// RECEIPT movement each), and sets the status from what is left.
	Receive(ctx context.Context, id string, lines []Line, actor string) (PurchaseOrder, error)
}

// Purchasing is the purchasing use cases.
type Purchasing struct {
	store PurchasingStore
	newID func(string) string
}

// NewPurchasing returns the purchasing service.
func NewPurchasing(store PurchasingStore, newID func(string) string) *Purchasing {
	return &Purchasing{store: store, newID: newID}
}

// Create drafts a purchase order.
func (p *Purchasing) Create(ctx context.Context, supplierID, warehouseID string, lines []Line) (PurchaseOrder, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return PurchaseOrder{}, err
	}
	needs, err := Needs(lines)
	if err != nil {
		return PurchaseOrder{}, errs.Problemf(nil, CodeInvalid, "%s", err)
	}
	po := PurchaseOrder{ID: p.newID("po"), SupplierID: supplierID, WarehouseID: warehouseID, Status: PODraft}
	for v, q := range needs {
		po.Lines = append(po.Lines, POLine{VariantID: v, Ordered: q})
	}
	if err := p.store.CreatePurchaseOrder(ctx, po); errors.Is(err, ErrNotFound) {
		return PurchaseOrder{}, errs.Problemf(nil, CodeNotFound, "no such supplier or warehouse")
	} else if err != nil {
		return PurchaseOrder{}, err
	}
	return po, nil
}

// Order sends a draft to the supplier.
func (p *Purchasing) Order(ctx context.Context, id string) (PurchaseOrder, error) {
	return p.transition(ctx, id, []POStatus{PODraft}, POOrdered)
}

// Cancel cancels a purchase order nothing was received on.
func (p *Purchasing) Cancel(ctx context.Context, id string) (PurchaseOrder, error) {
	return p.transition(ctx, id, []POStatus{PODraft, POOrdered}, POCanceled)
}

func (p *Purchasing) transition(ctx context.Context, id string, from []POStatus, to POStatus) (PurchaseOrder, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return PurchaseOrder{}, err
	}
	switch err := p.store.SetPOStatus(ctx, id, from, to); {
	case errors.Is(err, ErrNotFound):
		return PurchaseOrder{}, errs.Problemf(nil, CodeNotFound, "no purchase order %s", id)
	case errors.Is(err, ErrWrongStatus):
		return PurchaseOrder{}, errs.Problemf(nil, CodeInvalidState, "purchase order %s cannot become %s from its current state", id, to)
	case err != nil:
		return PurchaseOrder{}, err
	}
	pos, err := p.store.PurchaseOrders(ctx, []string{id})
	if err != nil || len(pos) == 0 {
		return PurchaseOrder{}, errors.Join(errors.New("purchase order vanished"), err)
	}
	return pos[0], nil
}

// Receive books delivered units into the order's warehouse.
func (p *Purchasing) Receive(ctx context.Context, id string, lines []Line) (PurchaseOrder, error) {
	c, err := auth.Require(ctx, AdjustStock)
	if err != nil {
		return PurchaseOrder{}, err
	}
	if _, err := Needs(lines); err != nil {
		return PurchaseOrder{}, errs.Problemf(nil, CodeInvalid, "%s", err)
	}
	po, err := p.store.Receive(ctx, id, lines, c.UserID())
	switch {
	case errors.Is(err, ErrNotFound):
		return PurchaseOrder{}, errs.Problemf(nil, CodeNotFound, "no purchase order %s, or a variant not on it", id)
	case errors.Is(err, ErrWrongStatus):
		return PurchaseOrder{}, errs.Problemf(nil, CodeInvalidState, "purchase order %s is not awaiting delivery", id)
	case errors.Is(err, ErrBelowCommitted):
		return PurchaseOrder{}, errs.Problemf(nil, CodeInvalid, "more received than ordered")
	}
	return po, err
}

// Warehouses are every warehouse, for staff who adjust stock.
func (p *Purchasing) Warehouses(ctx context.Context) ([]Warehouse, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return nil, err
	}
	return p.store.Warehouses(ctx)
}

// Suppliers are every supplier, for staff who adjust stock.
func (p *Purchasing) Suppliers(ctx context.Context) ([]Supplier, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return nil, err
	}
	return p.store.Suppliers(ctx)
}

// PurchaseOrder is purchase order id; false when there is none.
func (p *Purchasing) PurchaseOrder(ctx context.Context, id string) (PurchaseOrder, bool, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return PurchaseOrder{}, false, err
	}
	pos, err := p.store.PurchaseOrders(ctx, []string{id})
	if err != nil || len(pos) == 0 {
		return PurchaseOrder{}, false, err
	}
	return pos[0], true, nil
}
