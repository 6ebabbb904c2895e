package order

import (
	"strconv"
	"strings"
	"time"

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
