package stock

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
)

// Permissions this domain checks. RESERVE_STOCK belongs to the checkout
// (the orders subgraph's service token), not to shoppers.
const (
	ReserveStock = "RESERVE_STOCK"
	AdjustStock  = "ADJUST_STOCK"
	ManageOrders = "MANAGE_ORDERS"
)

// Key makes a change idempotent: the same key and request give the first
// result, the same key and another request ErrKeyReused.
type Key struct {
	Value string
	Hash  string // of the request
}

// Alert is a low-stock alert: raised once when a level falls to its
// threshold, cleared when it climbs back above.
type Alert struct {
	ID          int64
	WarehouseID string
	VariantID   string
	Available   int
	Threshold   int
	RaisedAt    time.Time
	ClearedAt   *time.Time
}

// Movement is one change to a level, as recorded.
type Movement struct {
	ID             int64
	WarehouseID    string
	VariantID      string
	Kind           string
	OnHandDelta    int
	AllocatedDelta int
	ReservedDelta  int
	Reason         string
	Actor          string
	Reference      string
	CreatedAt      time.Time
}

// Store is what the inventory domain needs from storage.
type Store interface {
	Levels(ctx context.Context, variantIDs []string) ([]Level, error)
	// Reserve locks the levels of the needed variants in a fixed order,
	// lets allocate choose the lines, and records the reservation, its
	// movements and any alert, in one transaction.
	// Only warehouses shipping to country take part ("" for any).
	Reserve(ctx context.Context, r Reservation, country string, needs map[string]int, allocate func([]Level) ([]Line, error), actor string, key Key) (Reservation, error)
	// Move changes a reservation's status from one of from to to, with the
	// movements that implies; ErrWrongStatus when it is in another state.
	Move(ctx context.Context, id string, from []Status, to Status, actor string) (Reservation, error)
	// UpdateReservation runs change on reservation id, locked, in one
	// transaction, and records what change did: a line's newly shipped
	// units leave allocated and on-hand stock (a SALE movement), and a
	// reservation that became FULFILLED is stored so and tells the outbox.
	// An error from change undoes everything and is returned as it is,
	// with the reservation as stored; ErrNotFound when there is none. The
	// key makes a repeat a no-op.
	UpdateReservation(ctx context.Context, id, actor string, key Key, change func(*Reservation) error) (Reservation, error)
	// ExpireDue releases every active reservation past its expiry.
	ExpireDue(ctx context.Context, now time.Time) (int, error)
	// Adjust changes on-hand units by delta with a reason; ErrBelowCommitted
	// when that would leave less than is allocated and reserved.
	Adjust(ctx context.Context, warehouseID, variantID string, delta int, reason, actor string, key Key) (Level, error)
	// Transfer moves available units between warehouses.
	Transfer(ctx context.Context, from, to, variantID string, qty int, actor string, key Key) error
	SetThreshold(ctx context.Context, warehouseID, variantID string, threshold int) (Level, error)
	ReservationsByIDs(ctx context.Context, ids []string) ([]Reservation, error)
	Alerts(ctx context.Context, openOnly bool) ([]Alert, error)
	Movements(ctx context.Context, warehouseID, variantID string, limit int) ([]Movement, error)
}

// The codes of the rule failures (errs.Problem) in mutation payloads
// (StockErrorCode); permission failures stay top-level GraphQL errors.
const (
	CodeInsufficientStock = "INSUFFICIENT_STOCK"
	CodeBelowCommitted    = "BELOW_COMMITTED"
	CodeInvalidState      = "INVALID_STATE"
	CodeNotFound          = "NOT_FOUND"
	CodeKeyReused         = "IDEMPOTENCY_KEY_REUSED"
	CodeInvalid           = "INVALID"
)

// Service is the inventory use cases.
type Service struct {
	store Store
	newID func(string) string
	now   func() time.Time
}

// NewService returns the inventory service.
func NewService(store Store, newID func(string) string) *Service {
	return &Service{store: store, newID: newID, now: time.Now}
}

// Reserve holds a cart's units for ttl (DefaultTTL when zero), from the
// warehouses that ship to country (any, when empty). The whole cart is
// checked at once, per variant summed over its lines, under row locks:
// two checkouts for the last unit cannot both get it.
func (s *Service) Reserve(ctx context.Context, reference, country string, lines []Line, ttl time.Duration, key string) (Reservation, error) {
	c, err := auth.Require(ctx, ReserveStock)
	if err != nil {
		return Reservation{}, err
	}
	if err := idempotency.CheckKey(key); err != nil {
		return Reservation{}, err
	}
	needs, err := Needs(lines)
	if err != nil {
		return Reservation{}, errs.Problemf(nil, CodeInvalid, "%s", err)
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if ttl > 24*time.Hour {
		return Reservation{}, errs.Problemf(nil, CodeInvalid, "a reservation holds stock for at most 24 hours")
	}
	r := Reservation{ID: s.newID("res"), Reference: reference, Status: Active, ExpiresAt: s.now().Add(ttl)}
	r, err = s.store.Reserve(ctx, r, strings.ToUpper(country), needs, func(levels []Level) ([]Line, error) { return Allocate(needs, levels) },
		c.UserID(), Key{Value: key, Hash: idempotency.Hash("reserve", reference, country, needs)})
	var ins *ErrInsufficient
	switch {
	case errors.As(err, &ins):
		return Reservation{}, &errs.Problem{Code: CodeInsufficientStock, Message: ins.Error(), Err: ins}
	case errors.Is(err, ErrKeyReused):
		return Reservation{}, errs.Problemf(nil, CodeKeyReused, "this idempotency key was used for a different request")
	}
	return r, err
}

// Convert turns a reservation into allocations when its order is placed.
// An expired reservation cannot be converted: its units may be someone
// else's by now.
func (s *Service) Convert(ctx context.Context, id string) (Reservation, error) {
	return s.move(ctx, ReserveStock, id, []Status{Active}, Converted)
}

// Release gives a reservation's units back (checkout abandoned, order
// canceled before shipping: allocations are released too).
func (s *Service) Release(ctx context.Context, id string) (Reservation, error) {
	return s.move(ctx, ReserveStock, id, []Status{Active, Converted}, Released)
}

// Fulfill records that a converted reservation's units shipped.
func (s *Service) Fulfill(ctx context.Context, id string) (Reservation, error) {
	return s.move(ctx, ManageOrders, id, []Status{Converted}, Fulfilled)
}

// FulfillLines records that some of a converted reservation's units
// shipped (one shipment of an order that ships in parts). The same key
// with the same lines replays; with other lines it is refused.
func (s *Service) FulfillLines(ctx context.Context, id string, lines []Line, key string) (Reservation, error) {
	c, err := auth.Require(ctx, ManageOrders)
	if err != nil {
		return Reservation{}, err
	}
	if err := idempotency.CheckKey(key); err != nil {
		return Reservation{}, err
	}
	needs, err := Needs(lines)
	if err != nil || len(needs) == 0 {
		return Reservation{}, errs.Problemf(nil, CodeInvalid, "say which units shipped, each quantity positive")
	}
	r, err := s.store.UpdateReservation(ctx, id, c.UserID(), Key{Value: key, Hash: idempotency.Hash("fulfil", id, needs)},
		func(r *Reservation) error { return r.Fulfil(needs) })
	switch {
	case errors.Is(err, ErrNotFound):
		return Reservation{}, errs.Problemf(nil, CodeNotFound, "no reservation %s", id)
	case errors.Is(err, ErrWrongStatus):
		return r, errs.Problemf(nil, CodeInvalidState, "reservation %s is %s; only a CONVERTED one ships", id, r.Status)
	case errors.Is(err, ErrOverFulfil):
		return r, errs.Problemf(nil, CodeInvalid, "%s", err)
	case errors.Is(err, ErrKeyReused):
		return Reservation{}, errs.Problemf(nil, CodeKeyReused, "this idempotency key was used for a different request")
	}
	return r, err
}

func (s *Service) move(ctx context.Context, perm, id string, from []Status, to Status) (Reservation, error) {
	c, err := auth.Require(ctx, perm)
	if err != nil {
		return Reservation{}, err
	}
	r, err := s.store.Move(ctx, id, from, to, c.UserID())
	switch {
	case errors.Is(err, ErrNotFound):
		return Reservation{}, errs.Problemf(nil, CodeNotFound, "no reservation %s", id)
	case errors.Is(err, ErrWrongStatus):
		return r, errs.Problemf(nil, CodeInvalidState, "reservation %s is %s; it cannot become %s", id, r.Status, to)
	}
	return r, err
}

// Adjust corrects on-hand units (a count, damage, a return to stock).
func (s *Service) Adjust(ctx context.Context, warehouseID, variantID string, delta int, reason, key string) (Level, error) {
	c, err := auth.Require(ctx, AdjustStock)
	if err != nil {
		return Level{}, err
	}
	if err := idempotency.CheckKey(key); err != nil {
		return Level{}, err
	}
	if delta == 0 || strings.TrimSpace(reason) == "" {
		return Level{}, errs.Problemf(nil, CodeInvalid, "an adjustment needs a non-zero delta and a reason")
	}
	l, err := s.store.Adjust(ctx, warehouseID, variantID, delta, reason, c.UserID(),
		Key{Value: key, Hash: idempotency.Hash("adjust", warehouseID, variantID, delta, reason)})
	switch {
	case errors.Is(err, ErrBelowCommitted):
		return Level{}, errs.Problemf(nil, CodeBelowCommitted, "%s in %s: on hand cannot fall below zero or below what is allocated and reserved", variantID, warehouseID)
	case errors.Is(err, ErrNotFound):
		return Level{}, errs.Problemf(nil, CodeNotFound, "no warehouse %s", warehouseID)
	case errors.Is(err, ErrKeyReused):
		return Level{}, errs.Problemf(nil, CodeKeyReused, "this idempotency key was used for a different request")
	}
	return l, err
}

// Transfer moves available units from one warehouse to another.
func (s *Service) Transfer(ctx context.Context, from, to, variantID string, qty int, key string) error {
	c, err := auth.Require(ctx, AdjustStock)
	if err != nil {
		return err
	}
	if err := idempotency.CheckKey(key); err != nil {
		return err
	}
	if qty <= 0 || from == to {
		return errs.Problemf(nil, CodeInvalid, "a transfer needs a positive quantity between two warehouses")
	}
	err = s.store.Transfer(ctx, from, to, variantID, qty, c.UserID(), Key{Value: key, Hash: idempotency.Hash("transfer", from, to, variantID, qty)})
	switch {
	case errors.Is(err, ErrBelowCommitted):
		return errs.Problemf(nil, CodeBelowCommitted, "%s has fewer than %d available units of %s", from, qty, variantID)
	case errors.Is(err, ErrNotFound):
		return errs.Problemf(nil, CodeNotFound, "no such warehouse")
	case errors.Is(err, ErrKeyReused):
		return errs.Problemf(nil, CodeKeyReused, "this idempotency key was used for a different request")
	}
	return err
}

// SetThreshold sets the level at which a low-stock alert is raised.
func (s *Service) SetThreshold(ctx context.Context, warehouseID, variantID string, threshold int) (Level, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return Level{}, err
	}
	if threshold < 0 {
		return Level{}, errs.Problemf(nil, CodeInvalid, "the threshold cannot be negative")
	}
	l, err := s.store.SetThreshold(ctx, warehouseID, variantID, threshold)
	if errors.Is(err, ErrNotFound) {
		return Level{}, errs.Problemf(nil, CodeNotFound, "no warehouse %s", warehouseID)
	}
	return l, err
}

// RunSweeper releases expired reservations every interval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context, interval time.Duration, onError func(error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := s.store.ExpireDue(ctx, s.now()); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Reservation is reservation id for the checkout and orders services that
// hold it; false when there is none.
func (s *Service) Reservation(ctx context.Context, id string) (Reservation, bool, error) {
	if _, err := auth.RequireAny(ctx, ReserveStock, ManageOrders); err != nil {
		return Reservation{}, false, err
	}
	rs, err := s.store.ReservationsByIDs(ctx, []string{id})
	if err != nil || len(rs) == 0 {
		return Reservation{}, false, err
	}
	return rs[0], true, nil
}

// Alerts are the low-stock alerts, the open ones only with openOnly, for
// staff who adjust stock.
func (s *Service) Alerts(ctx context.Context, openOnly bool) ([]Alert, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return nil, err
	}
	return s.store.Alerts(ctx, openOnly)
}

// Movements are a level's latest limit movements, for staff who adjust
// stock.
func (s *Service) Movements(ctx context.Context, warehouseID, variantID string, limit int) ([]Movement, error) {
	if _, err := auth.Require(ctx, AdjustStock); err != nil {
		return nil, err
	}
	return s.store.Movements(ctx, warehouseID, variantID, limit)
}
