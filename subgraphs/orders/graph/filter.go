package graph

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/orders/graph/model"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// staffFilter reads the staff list's where, and names the list it makes
// (its cursors carry the name, so one list's cursor pages no other).
func staffFilter(where *model.OrderWhere) (order.ListFilter, string, error) {
	f := order.ListFilter{}
	if where == nil {
		return f, "orders", nil
	}
	if where.Status != nil {
		f.Status = order.Status(*where.Status)
	}
	f.UserID = deref(where.CustomerID)
	var err error
	if f.CreatedAfter, err = instant("createdAfter", where.CreatedAfter); err != nil {
		return f, "", err
	}
	if f.CreatedBefore, err = instant("createdBefore", where.CreatedBefore); err != nil {
		return f, "", err
	}
	for _, b := range []struct {
		name string
		in   *model.MoneyInput
		to   **int64
	}{{"totalAtLeast", where.TotalAtLeast, &f.TotalMin}, {"totalAtMost", where.TotalAtMost, &f.TotalMax}} {
		if b.in == nil {
			continue
		}
		m, err := money.Parse(b.in.Amount, b.in.CurrencyCode)
		if err != nil {
			return f, "", errs.New(errs.Invalid, "%s: %v", b.name, err)
		}
		if f.Currency != "" && f.Currency != m.Currency {
			return f, "", errs.New(errs.Invalid, "totalAtLeast and totalAtMost must be in one currency")
		}
		f.Currency, *b.to = m.Currency, &m.Minor
	}
	b, _ := json.Marshal(where)
	h := fnv.New64a()
	h.Write(b)
	return f, fmt.Sprintf("orders:%x", h.Sum64()), nil
}

func instant(name string, s *string) (time.Time, error) {
	if s == nil || *s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *s)
	if err != nil {
		return time.Time{}, errs.New(errs.Invalid, "%s must be an RFC 3339 instant, e.g. 2026-10-01T00:00:00Z", name)
	}
	return t, nil
}
