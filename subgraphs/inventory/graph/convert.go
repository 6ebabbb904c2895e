package graph

import (
	"errors"
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/inventory/graph/model"
	"github.com/myshop/supergraph/subgraphs/inventory/stock"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
)

func available(ls []stock.Level) int {
	n := 0
	for _, l := range ls {
		n += max(l.Available(), 0)
	}
	return n
}

func toLevel(l stock.Level) *model.StockLevel {
	return &model.StockLevel{WarehouseID: l.WarehouseID, VariantID: l.VariantID, OnHand: l.OnHand, Allocated: l.Allocated,
		Reserved: l.Reserved, Available: l.Available(), LowStockThreshold: l.LowStockThreshold}
}

func toReservation(r stock.Reservation) *model.Reservation {
	out := &model.Reservation{ID: r.ID, Reference: r.Reference, Status: model.ReservationStatus(r.Status),
		ExpiresAt: r.ExpiresAt.UTC().Format(time.RFC3339), Lines: make([]*model.StockLine, len(r.Lines)), FulfilledLines: []*model.StockLine{}}
	for i, l := range r.Lines {
		out.Lines[i] = &model.StockLine{WarehouseID: l.WarehouseID, VariantID: l.VariantID, Quantity: l.Quantity}
		if l.Fulfilled > 0 {
			out.FulfilledLines = append(out.FulfilledLines, &model.StockLine{WarehouseID: l.WarehouseID, VariantID: l.VariantID, Quantity: l.Fulfilled})
		}
	}
	return out
}

func toPurchaseOrder(po stock.PurchaseOrder) *model.PurchaseOrder {
	out := &model.PurchaseOrder{ID: po.ID, SupplierID: po.SupplierID, WarehouseID: po.WarehouseID,
		Status: model.PurchaseOrderStatus(po.Status), CreatedAt: po.CreatedAt.UTC().Format(time.RFC3339)}
	for _, l := range po.Lines {
		out.Lines = append(out.Lines, &model.PurchaseOrderLine{VariantID: l.VariantID, Ordered: l.Ordered, Received: l.Received})
	}
	return out
}

// stockErrors puts a business-rule failure into payload errors; other
// errors (permissions, faults) go to the top level.
func stockErrors(err error) ([]*model.StockError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.StockErrorCode) *model.StockError {
		e := &model.StockError{Field: p.Field, Message: p.Message, Code: code, Shortages: []*model.StockShortage{}}
		if ins := (*stock.ErrInsufficient)(nil); errors.As(p, &ins) {
			for _, s := range ins.Shortages {
				e.Shortages = append(e.Shortages, &model.StockShortage{VariantID: s.VariantID, Requested: s.Requested, Available: s.Available})
			}
		}
		return e
	})
}

func reservationPayload(r stock.Reservation, err error) (*model.ReservationPayload, error) {
	errs, err := stockErrors(err)
	out := &model.ReservationPayload{Errors: errs}
	if r.ID != "" {
		out.Reservation = toReservation(r)
	}
	return out, err
}

func levelPayload(l stock.Level, err error) (*model.StockLevelPayload, error) {
	errs, err := stockErrors(err)
	out := &model.StockLevelPayload{Errors: errs}
	if l.WarehouseID != "" {
		out.StockLevel = toLevel(l)
	}
	return out, err
}

func purchaseOrderPayload(po stock.PurchaseOrder, err error) (*model.PurchaseOrderPayload, error) {
	errs, err := stockErrors(err)
	out := &model.PurchaseOrderPayload{Errors: errs}
	if po.ID != "" {
		out.PurchaseOrder = toPurchaseOrder(po)
	}
	return out, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func toWarehouse(w stock.Warehouse) *model.Warehouse {
	return &model.Warehouse{ID: w.ID, Name: w.Name, Street: w.Street, City: w.City, PostalCode: w.PostalCode,
		Country: w.Country, Countries: w.Countries, Priority: w.Priority, Active: w.Active}
}

func toSupplier(x stock.Supplier) *model.Supplier {
	return &model.Supplier{ID: x.ID, Name: x.Name, ContactEmail: x.ContactEmail, ContactPhone: x.ContactPhone, LeadTimeDays: x.LeadTimeDays}
}

func warehousePayload(w stock.Warehouse, err error) (*model.WarehousePayload, error) {
	errs, err := stockErrors(err)
	out := &model.WarehousePayload{Errors: errs}
	if len(errs) == 0 && err == nil {
		out.Warehouse, out.Errors = toWarehouse(w), []*model.StockError{}
	}
	return out, err
}

func supplierPayload(x stock.Supplier, err error) (*model.SupplierPayload, error) {
	errs, err := stockErrors(err)
	out := &model.SupplierPayload{Errors: errs}
	if len(errs) == 0 && err == nil {
		out.Supplier, out.Errors = toSupplier(x), []*model.StockError{}
	}
	return out, err
}

// optionalList is nil for a list the input left out, else the list.
func optionalList(l []string) *[]string {
	if l == nil {
		return nil
	}
	return &l
}
