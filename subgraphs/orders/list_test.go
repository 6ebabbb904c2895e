package orders_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// TestStaffOrderList: every sort pages through all matching orders once, in
// order, though many share a total and a timestamp; filters combine; a
// cursor from another sort or filter is INVALID_CURSOR.
func TestStaffOrderList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 30 {
		user := []string{"usr_ada", "usr_bob"}[i%2]
		// Totals repeat (ties), and so do timestamps, in threes.
		mustExec(t, e.pool, `INSERT INTO orders (id, user_id, channel, status, currency, total_minor, shipping_address, created_at)
VALUES ($1, $2, 'default-usd', $3, 'USD', $4, '{}', $5)`, fmt.Sprintf("ord_t%03d", i), user, []string{"CONFIRMED", "SHIPPED"}[i%3/2],
			int64(1000*(i%4)), at.Add(time.Duration(i/3)*time.Hour))
	}
	type page struct {
		Orders struct {
			Edges []struct {
				Cursor string
				Node   struct {
					ID, Number string
					Total      struct{ MinorUnits int }
					CreatedAt  string
				}
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	const q = `query($w: OrderWhere, $s: OrderSort, $a: String) { orders(where: $w, sortBy: $s, first: 7, after: $a) {
  edges { cursor node { id number total { minorUnits } createdAt } } pageInfo { hasNextPage endCursor } } }`
	all := func(where, sort map[string]any) []string {
		var ids, keys []string
		var after any
		for range 20 {
			var p page
			gql(t, e.h, e.staff, q, map[string]any{"w": where, "s": sort, "a": after}, &p)
			for _, ed := range p.Orders.Edges {
				ids = append(ids, ed.Node.ID)
				k := map[string]string{"TOTAL": fmt.Sprintf("%09d", ed.Node.Total.MinorUnits), "NUMBER": fmt.Sprintf("%012s", ed.Node.Number),
					"CREATED_AT": ed.Node.CreatedAt}[fmt.Sprint(sort["field"])]
				keys = append(keys, k+"|"+ed.Node.ID)
			}
			if !p.Orders.PageInfo.HasNextPage {
				break
			}
			after = *p.Orders.PageInfo.EndCursor
		}
		for i := 1; i < len(keys); i++ {
			if (sort["direction"] == "ASC") != (keys[i-1] < keys[i]) {
				t.Errorf("%v: %s before %s", sort, keys[i-1], keys[i])
			}
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Errorf("%v: %s twice", sort, id)
			}
			seen[id] = true
		}
		return ids
	}
	for _, f := range []string{"CREATED_AT", "TOTAL", "NUMBER"} {
		for _, d := range []string{"ASC", "DESC"} {
			if ids := all(nil, map[string]any{"field": f, "direction": d}); len(ids) != 30 {
				t.Errorf("%s %s: %d orders", f, d, len(ids))
			}
		}
	}
	where := map[string]any{"customerId": "usr_ada", "status": "CONFIRMED", "createdAfter": at.Add(time.Hour).Format(time.RFC3339),
		"createdBefore": at.Add(9 * time.Hour).Format(time.RFC3339), "totalAtLeast": map[string]any{"amount": "10.00", "currencyCode": "USD"},
		"totalAtMost": map[string]any{"amount": "20", "currencyCode": "USD"}}
	want := 0
	for i := range 30 {
		if i%2 == 0 && i%3/2 == 0 && i/3 >= 1 && i/3 < 9 && i%4 >= 1 && i%4 <= 2 {
			want++
		}
	}
	if ids := all(where, map[string]any{"field": "TOTAL", "direction": "DESC"}); len(ids) != want || want == 0 {
		t.Errorf("filtered: %d orders, want %d", len(ids), want)
	}
	// A cursor belongs to its sort and filter.
	var p page
	gql(t, e.h, e.staff, q, map[string]any{"s": map[string]any{"field": "TOTAL", "direction": "ASC"}}, &p)
	for _, other := range []map[string]any{
		{"s": map[string]any{"field": "NUMBER", "direction": "ASC"}},
		{"s": map[string]any{"field": "TOTAL", "direction": "DESC"}},
		{"s": map[string]any{"field": "TOTAL", "direction": "ASC"}, "w": map[string]any{"status": "SHIPPED"}},
	} {
		other["a"] = *p.Orders.PageInfo.EndCursor
		if resp := gqltest.DoAs(t, e.h, e.staff, q, other); len(resp.Errors) == 0 || resp.Errors[0].Code() != "INVALID_CURSOR" {
			t.Errorf("%v: %+v", other, resp.Errors)
		}
	}
	if resp := gqltest.DoAs(t, e.h, e.ada, q, nil); len(resp.Errors) == 0 || resp.Errors[0].Code() != "FORBIDDEN" {
		t.Errorf("customer listed every order: %+v", resp.Errors)
	}
}
