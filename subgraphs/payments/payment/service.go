package payment

import (
	"context"
	"errors"
	"fmt"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/idempotency"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Permissions this domain checks.
const (
	ManageOrders   = "MANAGE_ORDERS"
	ReadOrders     = "READ_ORDERS"
	RefundPayments = "REFUND_PAYMENTS"
)

// Codes of the typed errors in payment payloads (PaymentErrorCode).
const (
	CodeDeclined            = "DECLINED"
	CodeKeyReused           = "IDEMPOTENCY_KEY_REUSED"
	CodeExceedsAuthorized   = "CAPTURE_EXCEEDS_AUTHORIZED"
	CodeExceedsCaptured     = "REFUND_EXCEEDS_CAPTURED"
	CodeInvalidAmount       = "INVALID_AMOUNT"
	CodeInvalidState        = "INVALID_STATE"
	CodeNotFound            = "NOT_FOUND"
	CodeProviderUnavailable = "PROVIDER_UNAVAILABLE"
)

// Entry is a ledger entry about to be written, with what makes it
// idempotent: who asked, their key, and a hash of what they asked.
type Entry struct {
	Transaction
	Principal   string
	Key         string
	RequestHash string
}

// Store is what the payments domain needs from storage.
type Store interface {
	PaymentsByIDs(ctx context.Context, ids []string) ([]Payment, error)
	// PaymentIDsByOrder lists an order's payments, oldest first.
	PaymentIDsByOrder(ctx context.Context, orderID string) ([]string, error)
	TransactionsByPayments(ctx context.Context, paymentIDs []string) ([]Transaction, error)
	// EntryByKey finds the entry a principal made with an idempotency key;
	// ErrNotFound when there is none.
	EntryByKey(ctx context.Context, principal, key string) (Entry, error)
	// CreatePayment stores p and its pending authorization, atomically;
	// ErrKeyReused-style races surface as a unique violation the caller
	// resolves by reading EntryByKey.
	CreatePayment(ctx context.Context, p Payment, auth Entry) error
	// AppendPending locks the payment, gives check the ledger totals, and
	// when check passes appends e (a Pending entry) with the amount check
	// returns, all in one transaction: concurrent captures or refunds are
	// checked one after the other.
	AppendPending(ctx context.Context, paymentID string, e Entry, check func(Totals) (int64, error)) (Entry, error)
	// Settle gives a Pending entry its outcome; an entry already settled
	// is left as it is (a late or repeated answer changes nothing).
	Settle(ctx context.Context, txID string, r ProviderResult) error
}

// Service is the payment use cases.
type Service struct {
	store    Store
	provider Provider
	newID    func(prefix string) string
}

// NewService returns the payments service using provider.
func NewService(store Store, provider Provider, newID func(prefix string) string) *Service {
	return &Service{store: store, provider: provider, newID: newID}
}

// AuthorizeInput is a customer's request to pay for an order.
type AuthorizeInput struct {
	OrderID        string
	Amount         money.Money
	Token          string
	IdempotencyKey string
}

// Authorize reserves the amount on the customer's payment method.
func (s *Service) Authorize(ctx context.Context, in AuthorizeInput) (Payment, error) {
	c := auth.FromContext(ctx)
	if c == nil {
		return Payment{}, errs.New(errs.Unauthenticated, "sign in to pay")
	}
	if err := idempotency.CheckKey(in.IdempotencyKey); err != nil {
		return Payment{}, err
	}
	if in.Amount.Minor <= 0 {
		return Payment{}, &errs.Problem{Field: errs.Field("amount"), Code: CodeInvalidAmount, Message: "the amount must be positive"}
	}
	hash := idempotency.Hash("authorize", in.OrderID, in.Amount, in.Token)
	if p, done, err := s.replay(ctx, c.UserID(), in.IdempotencyKey, hash); done {
		return p, err
	}
	p := Payment{ID: s.newID("pay"), OrderID: in.OrderID, UserID: c.UserID(), Amount: in.Amount, Provider: s.provider.Name()}
	e := Entry{Transaction: Transaction{ID: s.newID("txn"), PaymentID: p.ID, Kind: Authorize, Outcome: Pending, Amount: in.Amount},
		Principal: c.UserID(), Key: in.IdempotencyKey, RequestHash: hash}
	if err := s.store.CreatePayment(ctx, p, e); err != nil {
		// Two requests with one key at once: the loser answers like a retry.
		if p, done, rerr := s.replay(ctx, c.UserID(), in.IdempotencyKey, hash); done {
			return p, rerr
		}
		return Payment{}, err
	}
	return s.call(ctx, p.ID, e, ProviderRequest{Token: in.Token}, s.provider.Authorize)
}

// Capture takes up to the authorized amount; nil means all that is left.
func (s *Service) Capture(ctx context.Context, paymentID string, amount *money.Money, key string) (Payment, error) {
	return s.follow(ctx, ManageOrders, Capture, paymentID, amount, key, func(t Totals, amt *int64) error {
		left := t.Authorized - t.Captured - t.PendingCapture
		if t.Voided || t.Authorized == 0 {
			return &errs.Problem{Code: CodeInvalidState, Message: "only an authorized payment can be captured"}
		}
		return fit(amt, left, "amount", CodeExceedsAuthorized, "capture more than is authorized and not yet captured")
	}, s.provider.Capture)
}

// Refund gives back up to what was captured and not yet refunded; nil
// means all of it. Refunds being checked under the payment's lock, two
// concurrent ones can never together exceed the capture.
func (s *Service) Refund(ctx context.Context, paymentID string, amount *money.Money, key string) (Payment, error) {
	return s.follow(ctx, RefundPayments, Refund, paymentID, amount, key, func(t Totals, amt *int64) error {
		// A capture still in flight may have failed: it cannot back a refund.
		left := t.Captured - t.Refunded - t.PendingRefund
		return fit(amt, left, "amount", CodeExceedsCaptured, "refund more than was captured and not yet refunded")
	}, s.provider.Refund)
}

// Void releases an authorization that nothing was captured from, or
// cancels one still waiting for the customer (3-D Secure), so it can no
// longer complete: an expired order's payment.
func (s *Service) Void(ctx context.Context, paymentID, key string) (Payment, error) {
	return s.follow(ctx, ManageOrders, Void, paymentID, nil, key, func(t Totals, amt *int64) error {
		unfinished := t.Action && t.Authorized == 0
		if t.Voided || (t.Authorized == 0 && !unfinished) || t.Captured > 0 || t.PendingCapture > 0 {
			return &errs.Problem{Code: CodeInvalidState, Message: "only an authorized payment with nothing captured, or one waiting for the customer, can be voided"}
		}
		*amt = t.Authorized
		return nil
	}, s.provider.Void)
}

// follow is the shape every operation on an existing payment shares:
// permission, idempotent replay, a checked pending entry under the lock,
// then the provider call outside it.
func (s *Service) follow(ctx context.Context, perm string, kind Kind, paymentID string, requested *money.Money, key string,
	check func(Totals, *int64) error, call func(context.Context, ProviderRequest) (ProviderResult, error)) (Payment, error) {
	c, err := auth.Require(ctx, perm)
	if err != nil {
		return Payment{}, err
	}
	if err := idempotency.CheckKey(key); err != nil {
		return Payment{}, err
	}
	ps, err := s.store.PaymentsByIDs(ctx, []string{paymentID})
	if err != nil {
		return Payment{}, err
	}
	if len(ps) == 0 {
		return Payment{}, &errs.Problem{Field: errs.Field("paymentId"), Code: CodeNotFound, Message: "no such payment"}
	}
	p := ps[0]
	var amount int64 // 0: all that is left
	if requested != nil {
		if requested.Currency != p.Amount.Currency {
			return Payment{}, &errs.Problem{Field: errs.Field("amount"), Code: CodeInvalidAmount, Message: "the amount must be in the payment's currency, " + string(p.Amount.Currency)}
		}
		if requested.Minor <= 0 {
			return Payment{}, &errs.Problem{Field: errs.Field("amount"), Code: CodeInvalidAmount, Message: "the amount must be positive"}
		}
		amount = requested.Minor
	}
	hash := idempotency.Hash(string(kind), paymentID, money.Money{Minor: amount, Currency: p.Amount.Currency}, "")
	if p, done, err := s.replay(ctx, c.UserID(), key, hash); done {
		return p, err
	}
	e := Entry{Transaction: Transaction{ID: s.newID("txn"), PaymentID: p.ID, Kind: kind, Outcome: Pending},
		Principal: c.UserID(), Key: key, RequestHash: hash}
	e.Amount.Currency = p.Amount.Currency
	e, err = s.store.AppendPending(ctx, p.ID, e, func(t Totals) (int64, error) {
		amt := amount
		err := check(t, &amt)
		return amt, err
	})
	if err != nil {
		if p, done, rerr := s.replay(ctx, c.UserID(), key, hash); done {
			return p, rerr
		}
		return Payment{}, err
	}
	return s.call(ctx, p.ID, e, ProviderRequest{Ref: p.ProviderRef}, call)
}

// call asks the provider to carry out entry e and settles it. A call that
// fails (timeout, provider down) leaves the entry Pending: a retry with the
// same idempotency key, or the provider's webhook, settles it later.
func (s *Service) call(ctx context.Context, paymentID string, e Entry, r ProviderRequest,
	f func(context.Context, ProviderRequest) (ProviderResult, error)) (Payment, error) {
	r.IdempotencyKey = e.ID // the provider dedupes on our entry id
	r.Amount = e.Amount
	res, err := f(ctx, r)
	if err != nil {
		return Payment{}, &errs.Problem{Code: CodeProviderUnavailable,
			Message: "the payment provider did not answer; retry with the same idempotency key to learn the outcome"}
	}
	// A provider may itself answer "pending" (a refund in progress): the
	// entry waits for its webhook.
	if res.Outcome != Pending {
		if err := s.store.Settle(ctx, e.ID, res); err != nil {
			return Payment{}, err
		}
	}
	ps, err := s.store.PaymentsByIDs(ctx, []string{paymentID})
	if err != nil || len(ps) == 0 {
		return Payment{}, errors.Join(errors.New("payment vanished"), err)
	}
	if res.Outcome == Failed {
		return ps[0], &errs.Problem{Code: CodeDeclined, Message: "the provider declined: " + res.ErrorCode}
	}
	return ps[0], nil
}

// replay answers a request whose key was seen before: the same request
// gets the current state of what the first one did (finishing it with the
// provider if it was left pending); another request is refused.
func (s *Service) replay(ctx context.Context, principal, key, hash string) (Payment, bool, error) {
	e, err := s.store.EntryByKey(ctx, principal, key)
	if errors.Is(err, ErrNotFound) {
		return Payment{}, false, nil
	}
	if err != nil {
		return Payment{}, true, err
	}
	if e.RequestHash != hash {
		return Payment{}, true, &errs.Problem{Field: errs.Field("idempotencyKey"), Code: CodeKeyReused,
			Message: "this idempotency key was used for a different request"}
	}
	ps, err := s.store.PaymentsByIDs(ctx, []string{e.PaymentID})
	if err != nil || len(ps) == 0 {
		return Payment{}, true, errors.Join(errors.New("payment vanished"), err)
	}
	if e.Outcome != Pending {
		return ps[0], true, nil
	}
	call := map[Kind]func(context.Context, ProviderRequest) (ProviderResult, error){
		Authorize: s.provider.Authorize, Capture: s.provider.Capture, Void: s.provider.Void, Refund: s.provider.Refund,
	}[e.Kind]
	// The token is not kept; an authorization retried after a timeout is
	// answered by the provider from its idempotency record.
	p, err := s.call(ctx, e.PaymentID, e, ProviderRequest{Ref: ps[0].ProviderRef}, call)
	return p, true, err
}

// fit sets *amt to left when it is zero, and refuses more than left.
func fit(amt *int64, left int64, field, code, what string) error {
	if *amt == 0 {
		*amt = left
	}
	if *amt <= 0 || *amt > left {
		return &errs.Problem{Field: errs.Field(field), Code: code, Message: fmt.Sprintf("cannot %s (%d left)", what, left)}
	}
	return nil
}

// IDsByOrder lists an order's payments for staff (and the orders service)
// with READ_ORDERS. An anonymous caller is refused alike: the order's
// payments are nobody else's business.
func (s *Service) IDsByOrder(ctx context.Context, orderID string) ([]string, error) {
	c := auth.FromContext(ctx)
	if c == nil || !c.HasScope(ReadOrders) {
		return nil, errs.New(errs.Forbidden, "this needs the %s permission", ReadOrders)
	}
	return s.store.PaymentIDsByOrder(ctx, orderID)
}
