package demo

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Session is one visit to the storefront and what the shopper did, as
// the storefront reports it with trackEvents.
type Session struct {
	ID, VisitorID, UserID string // UserID "" for a guest
	Channel               string
	Events                []Behaviour
}

// Behaviour is one storefront event: page_view, product_view, search,
// add_to_cart or checkout_started, with its payload.
type Behaviour struct {
	ID, Type string
	At       time.Time
	Payload  map[string]any
}

// BrowsePerOrder is how many sessions end without an order for each one
// that places one: the funnel narrows from visits to orders.
const BrowsePerOrder = 4

var searches = []string{"backpack", "coffee", "lamp", "headphones", "notebook", "bottle", "waterproof", "leather", "gift", "tent"}

// sessions writes every order's checkout session, just before it was
// placed, and BrowsePerOrder sessions per order that stop somewhere along
// the funnel: after the landing page, a product, a cart or an abandoned
// checkout. Half the browsers are signed in; guests come back under the
// same visitor id now and then.
func (w *World) sessions() {
	rng := rand.New(rand.NewPCG(w.Seed, 13))
	start := w.Until.AddDate(0, 0, -HistoryDays)
	span := w.Until.Sub(start)
	products := w.Catalog.Products
	n := 0
	next := func(visitor, user, channel string) Session {
		n++
		return Session{ID: fmt.Sprintf("ses_demo_%07d", n), VisitorID: visitor, UserID: user, Channel: channel}
	}
	for i := range w.Orders {
		o := &w.Orders[i]
		s := next("vis_"+o.UserID, o.UserID, o.Channel)
		at := o.PlacedAt.Add(-time.Duration(20+rng.IntN(40)) * time.Minute)
		s.add(&at, rng, "page_view", map[string]any{"path": "/"})
		for _, l := range o.Lines {
			s.add(&at, rng, "product_view", map[string]any{"productId": l.ProductID})
			s.add(&at, rng, "add_to_cart", map[string]any{"productId": l.ProductID, "variantId": l.VariantID, "quantity": l.Quantity})
		}
		s.add(&at, rng, "checkout_started", map[string]any{})
		o.SessionID = s.ID
		w.Sessions = append(w.Sessions, s)
	}
	for range BrowsePerOrder * len(w.Orders) {
		var s Session
		c := w.Customers[rng.IntN(len(w.Customers))]
		if rng.IntN(2) == 0 {
			s = next("vis_"+c.ID, c.ID, c.Channel)
		} else {
			s = next(fmt.Sprintf("vis_guest_%06d", rng.IntN(len(w.Customers)*4)), "", Channels[rng.IntN(len(Channels))].Slug)
		}
		at := start.Add(time.Duration(rng.Float64() * float64(span))).Truncate(time.Second)
		s.add(&at, rng, "page_view", map[string]any{"path": "/"})
		if rng.IntN(3) == 0 {
			s.add(&at, rng, "search", map[string]any{"query": searches[rng.IntN(len(searches))]})
		}
		if rng.IntN(10) < 7 {
			for range 1 + rng.IntN(4) {
				p := products[rng.IntN(len(products))]
				s.add(&at, rng, "product_view", map[string]any{"productId": p.ID})
				if rng.IntN(5) == 0 {
					v := p.Variants[rng.IntN(len(p.Variants))]
					s.add(&at, rng, "add_to_cart", map[string]any{"productId": p.ID, "variantId": v.ID, "quantity": 1})
				}
			}
			if rng.IntN(12) == 0 {
				s.add(&at, rng, "checkout_started", map[string]any{})
			}
		}
		w.Sessions = append(w.Sessions, s)
	}
}

// add appends an event a little after the previous one, in the session's
// channel and under its visitor id.
func (s *Session) add(at *time.Time, rng *rand.Rand, typ string, payload map[string]any) {
	*at = at.Add(time.Duration(5+rng.IntN(90)) * time.Second)
	payload["channel"], payload["visitorId"] = s.Channel, s.VisitorID
	s.Events = append(s.Events, Behaviour{ID: fmt.Sprintf("evt_%s_%d", s.ID, len(s.Events)+1), Type: typ, At: *at, Payload: payload})
}
