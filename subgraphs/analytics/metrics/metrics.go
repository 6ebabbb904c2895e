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
	Day          time.Time
	Currency     string
	Orders       int
	RevenueMinor int64
	Units        int
	RefundsMinor int64
	Traffic      string // traffic_daily column to bump, or ""
	SessionID    string
	Step         string // funnel step of the session, or ""
}

// EffectOf says how an event moves the numbers. Domain events count where
// they record money or an order; behaviour events count as traffic.
func EffectOf(e events.Event, sessionID string) Effect {
	day := e.OccurredAt.UTC().Truncate(24 * time.Hour)
	fx := Effect{Day: day, SessionID: sessionID}
	num := func(k string) int64 {
		switch v := e.Payload[k].(type) {
		case float64:
			return int64(v)
		case int64:
			return v
		case int:
			return int64(v)
		}
		return 0
	}
	str := func(k string) string { s, _ := e.Payload[k].(string); return s }
	switch e.Type {
	case "order.status_changed":
		if str("to") == "CONFIRMED" {
			fx.Orders, fx.RevenueMinor, fx.Units, fx.Currency = 1, num("totalMinor"), int(num("units")), str("currency")
			if sid := str("sessionId"); sid != "" {
				fx.SessionID, fx.Step = sid, "ORDER"
			}
		}
	case "payment.transaction_settled":
		if str("kind") == "REFUND" && str("outcome") == "SUCCEEDED" {
			fx.RefundsMinor, fx.Currency = num("amountMinor"), str("currency")
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
	if fx.SessionID == "" {
		fx.Step = ""
	}
	return fx
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
	Day   Bucket = "DAY"
	Week  Bucket = "WEEK"
	Month Bucket = "MONTH"
)

// Trunc is the Postgres date_trunc field for b.
func (b Bucket) Trunc() (string, error) {
	switch b {
	case Day, Week, Month:
		return strings.ToLower(string(b)), nil
	}
	return "", fmt.Errorf("unknown bucket %q", b)
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
	PageViews    int
	ProductViews int
	Searches     int
}

// Funnel counts the sessions that reached each step in a range.
type Funnel struct {
	Visits, Views, Carts, Checkouts, Orders int
}
