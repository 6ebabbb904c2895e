// Package metrics is the analytics domain: which events count for what,
// and the shapes of the numbers staff look at.
package metrics

import (
	"fmt"
	"strings"
	"time"

	"github.com/myshop/supergraph/subgraphs/platform/events"
)

// ReadAnalytics is the staff permission for everything but tracking.
const ReadAnalytics = "READ_ANALYTICS"

// Behaviour event types the storefront may send with trackEvents.
var Behaviours = map[string]string{ // type → funnel step ("" for none)
	"page_view":        "VISIT",
	"product_view":     "VIEW",
	"search":           "",
	"add_to_cart":      "CART",
	"checkout_started": "CHECKOUT",
}

// Limits on what a client may send.
const (
	MaxTrackBatch   = 50
	MaxPayloadBytes = 2048
	MaxSessionIDLen = 64
	TrackPerMinute  = 600 // events per session
)

// Effect is what one event adds to the rollups.
type Effect struct {
	Hour         time.Time // the event's hour (UTC): the grain of every rollup
	Channel      string    // the sales channel the event was in, or ""
	Currency     string
	Orders       int
	RevenueMinor int64
	Units        int
	RefundsMinor int64
	Traffic      string // traffic_hourly column to bump, or ""
	SessionID    string
	VisitorID    string // who a behaviour event counts as a unique visitor, or ""
	Step         string // funnel step of the session, or ""
	CustomerID   string // the customer of a confirmed order, or ""
	Lines        []Line // what a confirmed order sold
}

// Day is the effect's day, the grain of the funnel's session steps.
func (fx Effect) Day() time.Time { return fx.Hour.Truncate(24 * time.Hour) }

// Line is one line of a confirmed order, as order.placed carries it.
type Line struct {
	VariantID, SKU, Name string
	Quantity             int
	UnitPriceMinor       int64
	// ProductID and CategoryID are what the product and its category were
	// when the order was placed; "" in older events or when uncategorised.
	ProductID, CategoryID string
}

// Placed is what an order.placed event told about an order, for the
// events about that order that come later without it: the confirmation
// (lines) and refunds (channel). Nil when the log has no order.placed.
type Placed map[string]any

// PlacedID is the id of order orderID's order.placed event (stable, see
// schema/events/README.md): how its payload is found in the log.
func PlacedID(orderID string) string { return "evt_" + orderID + "_placed" }

// NeedsPlaced is the order whose order.placed payload EffectOf needs for
// e, or "".
func NeedsPlaced(e events.Event) string {
	str := func(k string) string { s, _ := e.Payload[k].(string); return s }
	switch {
	case e.Type == "order.status_changed" && str("to") == "CONFIRMED",
		e.Type == "payment.transaction_settled" && str("kind") == "REFUND" && str("outcome") == "SUCCEEDED":
		return str("orderId")
	}
	return ""
}

// EffectOf says how an event moves the numbers. Domain events count where
// they record money or an order; behaviour events count as traffic.
// placed is the order.placed payload of the order e is about (see
// NeedsPlaced): a confirmation sells its lines, and a refund, whose event
// does not say, belongs to the order's channel.
func EffectOf(e events.Event, sessionID, userID string, placed Placed) Effect {
	fx := Effect{Hour: e.OccurredAt.UTC().Truncate(time.Hour), SessionID: sessionID}
	str := func(k string) string { s, _ := e.Payload[k].(string); return s }
	switch e.Type {
	case "order.status_changed":
		if str("to") == "CONFIRMED" {
			fx.Orders, fx.RevenueMinor, fx.Units, fx.Currency = 1, num(e.Payload["totalMinor"]), int(num(e.Payload["units"])), str("currency")
			fx.Channel, fx.CustomerID = str("channel"), str("userId")
			fx.Lines = placed.lines()
			if sid := str("sessionId"); sid != "" {
				fx.SessionID, fx.Step = sid, "ORDER"
			}
		}
	case "payment.transaction_settled":
		if str("kind") == "REFUND" && str("outcome") == "SUCCEEDED" {
			fx.RefundsMinor, fx.Currency = num(e.Payload["amountMinor"]), str("currency")
			fx.Channel, _ = placed["channel"].(string)
		}
	case "page_view":
		fx.Traffic, fx.Step = "page_views", "VISIT"
	case "product_view":
		fx.Traffic, fx.Step = "product_views", "VIEW"
	case "search":
		fx.Traffic = "searches"
	case "add_to_cart":
		fx.Traffic, fx.Step = "add_to_carts", "CART"
	case "checkout_started":
		fx.Traffic, fx.Step = "checkouts", "CHECKOUT"
	}
	if _, ok := Behaviours[e.Type]; ok {
		fx.Channel = str("channel")
		fx.VisitorID = VisitorOf(str("visitorId"), userID, sessionID)
	}
	if fx.SessionID == "" {
		fx.Step = ""
	}
	return fx
}

// VisitorOf is who a behaviour event counts as: the client's long-lived
// visitor id when it sends one, else the signed-in user (one person on
// two devices), else the session. Prefixed so the three never collide.
func VisitorOf(visitorID, userID, sessionID string) string {
	switch {
	case visitorID != "":
		return "v:" + visitorID
	case userID != "":
		return "u:" + userID
	case sessionID != "":
		return "s:" + sessionID
	}
	return ""
}

func (p Placed) lines() []Line {
	raw, _ := p["lines"].([]any)
	out := make([]Line, 0, len(raw))
	for _, r := range raw {
		m, _ := r.(map[string]any)
		id, _ := m["variantId"].(string)
		if id == "" {
			continue
		}
		sku, _ := m["sku"].(string)
		name, _ := m["name"].(string)
		product, _ := m["productId"].(string)
		category, _ := m["categoryId"].(string)
		out = append(out, Line{VariantID: id, SKU: sku, Name: name, Quantity: int(num(m["quantity"])), UnitPriceMinor: num(m["unitPriceMinor"]),
			ProductID: product, CategoryID: category})
	}
	return out
}

// num reads a JSON number (float64 once decoded, an int when built in Go).
func num(v any) int64 {
	switch v := v.(type) {
	case float64:
		return int64(v)
	case int64:
		return v
	case int:
		return int64(v)
	}
	return 0
}

// IsBot tells crawlers by their user agent; their page views are noise.
func IsBot(userAgent string) bool {
	ua := strings.ToLower(userAgent)
	for _, s := range []string{"bot", "crawler", "spider", "slurp", "headless", "curl/", "wget/"} {
		if strings.Contains(ua, s) {
			return true
		}
	}
	return false
}

// Bucket is a time bucket of a series.
type Bucket string

// Buckets.
const (
	Hour  Bucket = "HOUR"
	Day   Bucket = "DAY"
	Week  Bucket = "WEEK"
	Month Bucket = "MONTH"
)

// Trunc is the Postgres date_trunc field for b.
func (b Bucket) Trunc() (string, error) {
	switch b {
	case Hour, Day, Week, Month:
		return strings.ToLower(string(b)), nil
	}
	return "", fmt.Errorf("unknown bucket %q", b)
}

// StartLabel writes a bucket's start: a date, or for hours an RFC 3339
// instant. trunc is Bucket.Trunc's value.
func StartLabel(start time.Time, trunc string) string {
	if trunc == "hour" {
		return start.UTC().Format(time.RFC3339)
	}
	return start.UTC().Format(time.DateOnly)
}

// MaxHourlyDays bounds an hourly series (744 points): longer ranges are
// read by the day.
const MaxHourlyDays = 31

// CheckBucket refuses hour buckets over more than MaxHourlyDays days.
func CheckBucket(r Range, b Bucket) error {
	if b == Hour && r.To.Sub(r.From) >= MaxHourlyDays*24*time.Hour {
		return fmt.Errorf("hourly series span at most %d days", MaxHourlyDays)
	}
	return nil
}

// Range is a closed range of days.
type Range struct{ From, To time.Time }

// CheckRange refuses an empty or inverted range, or one over two years.
func CheckRange(r Range) error {
	if r.To.Before(r.From) {
		return fmt.Errorf("the range ends before it starts")
	}
	if r.To.Sub(r.From) > 2*366*24*time.Hour {
		return fmt.Errorf("a range spans at most two years")
	}
	return nil
}

// End is the instant after the range's last day: rollup rows are
// selected by hour >= From and hour < End.
func (r Range) End() time.Time { return r.To.AddDate(0, 0, 1) }

// SalesPoint is one bucket of the sales series.
type SalesPoint struct {
	Start        time.Time
	Orders       int
	RevenueMinor int64
	Units        int
	RefundsMinor int64
}

// AverageOrderMinor is revenue per order, rounded down; 0 without orders.
func (p SalesPoint) AverageOrderMinor() int64 {
	if p.Orders == 0 {
		return 0
	}
	return p.RevenueMinor / int64(p.Orders)
}

// TrafficPoint is one bucket of the traffic series.
type TrafficPoint struct {
	Start        time.Time
	Sessions     int
	Visitors     int
	PageViews    int
	ProductViews int
	Searches     int
}

// Funnel counts the sessions that reached each step in a range.
type Funnel struct {
	Visits, Views, Carts, Checkouts, Orders int
}

// ProductSales is one variant's sales over a range.
type ProductSales struct {
	VariantID, SKU, Name string
	Units, Orders        int
	RevenueMinor         int64
}

// CategorySales is one category's sales over a range.
type CategorySales struct {
	CategoryID    string
	Units, Orders int
	RevenueMinor  int64
}

// Rank orders top lists.
type Rank string

// Ranks.
const (
	ByRevenue Rank = "REVENUE"
	ByUnits   Rank = "UNITS"
)

// CustomerPoint is one bucket of the customer series: customers who
// ordered in it, those of them whose first order ever was in it (new) or
// before it (returning), and those who ordered twice or more in it.
type CustomerPoint struct {
	Start                     time.Time
	Customers, New, Returning int
	Repeat                    int
}

// RepeatRate is the share of the bucket's customers who ordered more than
// once in it; 0 without customers.
func (p CustomerPoint) RepeatRate() float64 {
	if p.Customers == 0 {
		return 0
	}
	return float64(p.Repeat) / float64(p.Customers)
}
