package graph

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/orders/graph/model"
	"github.com/myshop/supergraph/subgraphs/orders/loader"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/cursor"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
)

type channelKey struct{}

// WithChannel returns ctx carrying the request's X-Channel header.
func WithChannel(ctx context.Context, channel string) context.Context {
	return context.WithValue(ctx, channelKey{}, channel)
}

// channelOf is the channel argument, else the X-Channel header, else "".
func channelOf(ctx context.Context, arg *string) string {
	if arg != nil && *arg != "" {
		return *arg
	}
	s, _ := ctx.Value(channelKey{}).(string)
	return s
}

// visibleOrderThunk starts loading an order now and, when called, returns
// it if the caller may see it (its customer, or staff with READ_ORDERS),
// else nil: the same answer as for no order, so ids cannot be probed.
// Every path to an order goes through here.
func visibleOrderThunk(ctx context.Context, id string) func() (*model.Order, error) {
	thunk := loader.For(ctx).OrderByID.Load(ctx, id)
	return func() (*model.Order, error) {
		o, err := thunk()
		if errs.CodeOf(err) == errs.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		c := auth.FromContext(ctx)
		if c != nil && (c.UserID() == o.UserID || c.HasScope(order.ReadOrders)) {
			return toOrder(o), nil
		}
		if opened, err := orderTokenOpens(ctx); err != nil {
			return nil, err
		} else if opened != "" && opened == o.ID {
			return toOrder(o), nil
		}
		return nil, nil
	}
}

func toOrder(o order.Order) *model.Order { return &model.Order{ID: o.ID, Order: o} }

func (r *Resolver) toCart(ctx context.Context, c order.Cart) *model.Cart {
	return &model.Cart{ID: c.ID, Cart: c, View: sync.OnceValues(func() (order.View, error) { return r.Carts.View(ctx, c) })}
}

func toAddress(a order.Address) *model.ShippingAddress {
	return &model.ShippingAddress{FirstName: a.FirstName, LastName: a.LastName, Company: a.Company, Street1: a.Street1,
		Street2: a.Street2, City: a.City, Region: a.Region, PostalCode: a.PostalCode, CountryCode: a.CountryCode, Phone: a.Phone}
}

func fromAddress(in model.ShippingAddressInput) order.Address {
	return order.Address{FirstName: in.FirstName, LastName: in.LastName, Company: deref(in.Company), Street1: in.Street1,
		Street2: deref(in.Street2), City: in.City, Region: deref(in.Region), PostalCode: in.PostalCode,
		CountryCode: in.CountryCode, Phone: deref(in.Phone)}
}

func statuses(ss []order.Status) []model.OrderStatus {
	out := make([]model.OrderStatus, len(ss))
	for i, s := range ss {
		out[i] = model.OrderStatus(s)
	}
	return out
}

func timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func number(n int64) string { return strconv.FormatInt(n, 10) }

func cartPayload(r *Resolver, ctx context.Context, c order.Cart, err error) (*model.CartPayload, error) {
	return guestCartPayload(r, ctx, c, "", err)
}

// guestCartPayload is cartPayload with the guest cart's token: the new
// one, else the one the request carried.
func guestCartPayload(r *Resolver, ctx context.Context, c order.Cart, token string, err error) (*model.CartPayload, error) {
	out := &model.CartPayload{Errors: []*model.CartError{}}
	if err == nil {
		out.Cart = r.toCart(ctx, c)
		if c.UserID == "" {
			if token == "" {
				token = requestCartToken(ctx)
			}
			out.CartToken = &token
		}
		return out, nil
	}
	out.Errors, err = payload.Errors(err, func(p *errs.Problem, code model.CartErrorCode) *model.CartError {
		return &model.CartError{Field: p.Field, Message: p.Message, Code: code}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func placeOrderPayload(o order.Order, action *order.PaymentAction, err error) (*model.PlaceOrderPayload, error) {
	out := &model.PlaceOrderPayload{Errors: []*model.CheckoutError{}}
	if o.ID != "" {
		out.Order = toOrder(o)
	}
	if action != nil {
		out.NextAction = &model.PaymentAction{Type: model.PaymentActionType(action.Type), RedirectURL: nonEmpty(action.RedirectURL),
			ClientSecret: nonEmpty(action.ClientSecret)}
	}
	if err == nil {
		return out, nil
	}
	out.Errors, err = payload.Errors(err, func(p *errs.Problem, code model.CheckoutErrorCode) *model.CheckoutError {
		e := &model.CheckoutError{Field: p.Field, Message: p.Message, Code: code, Shortages: []*model.CheckoutShortage{}}
		if short := (*order.ShortageError)(nil); errors.As(p, &short) {
			for _, s := range short.Shortages {
				e.Shortages = append(e.Shortages, &model.CheckoutShortage{VariantID: s.VariantID, Requested: s.Requested, Available: s.Available})
			}
		}
		return e
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func orderPayload(o order.Order, err error) (*model.OrderPayload, error) {
	out := &model.OrderPayload{Errors: []*model.OrderError{}}
	if o.ID != "" {
		out.Order = toOrder(o)
	}
	out.Errors, err = orderErrors(err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func fulfilPayload(o order.Order, f order.Fulfillment, err error) (*model.FulfillOrderPayload, error) {
	out := &model.FulfillOrderPayload{}
	if o.ID != "" {
		out.Order = toOrder(o)
	}
	if f.ID != "" {
		out.Fulfillment = toFulfillment(f)
	}
	out.Errors, err = orderErrors(err)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// orderErrors turns a rule failure into payload errors; other errors stay
// errors.
func orderErrors(err error) ([]*model.OrderError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.OrderErrorCode) *model.OrderError {
		e := &model.OrderError{Field: p.Field, Message: p.Message, Code: code, AllowedTransitions: statuses(nil)}
		if t := (*order.TransitionError)(nil); errors.As(p, &t) {
			e.AllowedTransitions = statuses(t.From.Allowed())
		}
		return e
	})
}

func toFulfillment(f order.Fulfillment) *model.Fulfillment {
	out := &model.Fulfillment{ID: f.ID, Carrier: f.Carrier, TrackingNumber: f.TrackingNumber, CreatedAt: timestamp(f.CreatedAt),
		Lines: make([]*model.FulfillmentLine, len(f.Lines))}
	for i, l := range f.Lines {
		out.Lines[i] = &model.FulfillmentLine{Variant: &model.ProductVariant{ID: l.VariantID}, Quantity: l.Quantity}
	}
	return out
}

func toQuote(q order.Quote) *model.ShippingMethod {
	return &model.ShippingMethod{Code: model.ShippingMethodCode(q.Method), Name: q.Name, Price: &q.Price, MinDays: q.MinDays, MaxDays: q.MaxDays}
}

type cartTokenHeaderKey struct{}

// WithCartTokenHeader returns ctx carrying the request's X-Cart-Token.
func WithCartTokenHeader(ctx context.Context, token string) context.Context {
	ctx = context.WithValue(ctx, cartTokenHeaderKey{}, token)
	return order.WithCartToken(ctx, token)
}

// withCartToken is ctx with the cartToken argument, when given, in place
// of the header's.
func withCartToken(ctx context.Context, arg *string) context.Context {
	if arg == nil || *arg == "" {
		return ctx
	}
	return order.WithCartToken(context.WithValue(ctx, cartTokenHeaderKey{}, *arg), *arg)
}

func requestCartToken(ctx context.Context) string {
	s, _ := ctx.Value(cartTokenHeaderKey{}).(string)
	return s
}

// connection pages the orders lister may list; list names the list, its
// filter and sort, so a cursor of one list is refused by another.
func (r *Resolver) connection(ctx context.Context, list string, lister order.Lister, f order.ListFilter, sort order.Sort, first *int, after *string) (*model.OrderConnection, error) {
	n := 20
	if first != nil {
		n = *first
	}
	if err := cursor.First(n); err != nil {
		return nil, err
	}
	list = fmt.Sprintf("%s:%s:%t", list, sort.Field, sort.Desc)
	key, err := cursor.Decode(list, deref(after))
	if err != nil {
		return nil, err
	}
	var pos *order.Position
	if key != "" {
		if pos, err = sort.Parse(key); err != nil {
			return nil, err
		}
	}
	os, more, err := lister.Page(ctx, f, sort, pos, n)
	if err != nil {
		return nil, err
	}
	conn := &model.OrderConnection{Edges: make([]*model.OrderEdge, len(os)), PageInfo: &model.PageInfo{HasNextPage: more, HasPreviousPage: pos != nil}}
	ids := make([]string, len(os))
	for i, o := range os {
		conn.Edges[i] = &model.OrderEdge{Cursor: cursor.Encode(list, sort.Key(o)), Node: toOrder(o)}
		ids[i] = o.ID
	}
	prefetchOrderRows(ctx, "", ids, "edges", "node")
	if len(os) > 0 {
		start, end := conn.Edges[0].Cursor, conn.Edges[len(os)-1].Cursor
		conn.PageInfo.StartCursor, conn.PageInfo.EndCursor = &start, &end
	}
	return conn, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

type orderTokenKey struct{}

// WithOrderTokenHeader returns ctx carrying the request's X-Order-Token: a
// guest's order token opens that order wherever an order is read (its
// status subscription too), as guestOrder(token) does. It is checked once
// per request, on the first read that needs it, and a wrong one counts
// against the client like a wrong guestOrder token.
func WithOrderTokenHeader(ctx context.Context, token string, guests *order.GuestOrders) context.Context {
	if token == "" || guests == nil {
		return ctx
	}
	client := clientOf(ctx)
	return context.WithValue(ctx, orderTokenKey{}, sync.OnceValues(func() (string, error) {
		o, ok, err := guests.ByToken(context.WithoutCancel(ctx), client, token)
		if err != nil || !ok {
			return "", err
		}
		return o.ID, nil
	}))
}

// orderTokenOpens is the order the request's X-Order-Token opens, "" for
// none.
func orderTokenOpens(ctx context.Context) (string, error) {
	open, _ := ctx.Value(orderTokenKey{}).(func() (string, error))
	if open == nil {
		return "", nil
	}
	return open()
}

type clientKey struct{}

// WithClient returns ctx carrying who sent the request, as far as this
// subgraph can tell (the first X-Forwarded-For address, else the peer):
// what per-client limits count by.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

func clientOf(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}
