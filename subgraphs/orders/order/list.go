package order

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// ListFilter narrows a list of orders; zero fields match everything.
type ListFilter struct {
	UserID        string
	Status        Status
	CreatedAfter  time.Time // inclusive
	CreatedBefore time.Time // exclusive
	// Currency, when set, keeps only orders in it; TotalMin and TotalMax
	// (minor units, inclusive) then bound their totals.
	Currency           money.Currency
	TotalMin, TotalMax *int64
}

// SortField is what a list of orders is sorted on; the id breaks ties.
type SortField string

// Sort fields.
const (
	SortCreated SortField = "CREATED_AT"
	SortTotal   SortField = "TOTAL"
	SortNumber  SortField = "NUMBER"
)

// Sort is a list's order.
type Sort struct {
	Field SortField
	Desc  bool
}

// NewestFirst is the default order of every list.
var NewestFirst = Sort{Field: SortCreated, Desc: true}

// Position is where a page starts: after the row with this sort value
// (a time.Time or an int64, as the field) and id.
type Position struct {
	Value any
	ID    string
}

// Key is o's position in lists sorted by s, as text for a cursor.
func (s Sort) Key(o Order) string {
	var v string
	switch s.Field {
	case SortTotal:
		v = strconv.FormatInt(o.Total.Minor, 10)
	case SortNumber:
		v = strconv.FormatInt(o.Number, 10)
	default:
		v = o.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	return v + "," + o.ID
}

// Parse reads a Key back; INVALID_CURSOR when it is not one.
func (s Sort) Parse(key string) (*Position, error) {
	v, id, ok := strings.Cut(key, ",")
	bad := errs.New(errs.InvalidCursor, "the cursor does not belong to this list")
	if !ok || id == "" {
		return nil, bad
	}
	if s.Field == SortTotal || s.Field == SortNumber {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, bad
		}
		return &Position{Value: n, ID: id}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return nil, bad
	}
	return &Position{Value: t, ID: id}, nil
}

// Lister pages through the orders one caller may list. Mine, All and
// OfUser make one once they have checked who asks, so a resolver can check
// first and parse its arguments after, as it always has.
type Lister struct {
	store OrderReader
	// userID, when set, is the only customer whose orders are listed,
	// whatever the filter says.
	userID string
}

// Page returns up to limit orders matching f in sort order, after the
// position (nil for the first page), and whether there are more.
func (l Lister) Page(ctx context.Context, f ListFilter, sort Sort, after *Position, limit int) ([]Order, bool, error) {
	if l.userID != "" {
		f.UserID = l.userID
	}
	return l.store.ListOrders(ctx, f, sort, after, limit)
}

// Mine lists the signed-in customer's orders.
func (o *Orders) Mine(ctx context.Context) (Lister, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return Lister{}, err
	}
	return Lister{store: o.store, userID: c.UserID()}, nil
}

// All lists every customer's orders, for staff with READ_ORDERS.
func (o *Orders) All(ctx context.Context) (Lister, error) {
	if _, err := auth.Require(ctx, ReadOrders); err != nil {
		return Lister{}, err
	}
	return Lister{store: o.store}, nil
}

// OfUser lists userID's orders, for that user and staff with READ_ORDERS.
func (o *Orders) OfUser(ctx context.Context, userID string) (Lister, error) {
	c := auth.FromContext(ctx)
	if c == nil || (c.UserID() != userID && !c.HasScope(ReadOrders)) {
		return Lister{}, errs.New(errs.Forbidden, "only the user and staff with %s see a user's orders", ReadOrders)
	}
	return Lister{store: o.store, userID: userID}, nil
}

// Status is an order as a status subscription starts on it, with the
// change that brought it to its status (nil before any). An order the
// caller may not see is NOT_FOUND, as one that does not exist.
func (o *Orders) Status(ctx context.Context, id string) (Order, *Event, error) {
	c, err := auth.SignedIn(ctx)
	if err != nil {
		return Order{}, nil, err
	}
	os, err := o.store.OrdersByIDs(ctx, []string{id})
	if err != nil {
		return Order{}, nil, err
	}
	if len(os) == 0 || (c.UserID() != os[0].UserID && !c.HasScope(ReadOrders)) {
		return Order{}, nil, errs.New(errs.NotFound, "order %s not found", id)
	}
	history, err := o.store.EventsByOrders(ctx, []string{id})
	if err != nil {
		return Order{}, nil, err
	}
	for i, e := range history {
		if e.Version == os[0].Version {
			return os[0], &history[i], nil
		}
	}
	return os[0], nil, nil
}
