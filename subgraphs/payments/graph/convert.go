package graph

import (
	"time"

	"context"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/payments/graph/model"
	"github.com/myshop/supergraph/subgraphs/payments/loader"
	"github.com/myshop/supergraph/subgraphs/payments/payment"
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
)

// visiblePayment is the payment if the caller may see it (its payer, or
// staff with READ_ORDERS), else nil: the same answer as for no payment, so
// ids cannot be probed. Every path to a payment goes through here.
func visiblePayment(ctx context.Context, id string) (*model.Payment, error) {
	return visiblePaymentThunk(ctx, id)()
}

// visiblePaymentThunk starts the load now and checks when called, so a
// caller can start many loads before waiting on one.
func visiblePaymentThunk(ctx context.Context, id string) func() (*model.Payment, error) {
	thunk := loader.For(ctx).PaymentByID.Load(ctx, id)
	return func() (*model.Payment, error) {
		p, err := thunk()
		if errs.CodeOf(err) == errs.NotFound {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		c := auth.FromContext(ctx)
		if c == nil || (c.UserID() != p.UserID && !c.HasScope(payment.ReadOrders)) {
			return nil, nil
		}
		return &model.Payment{ID: p.ID, Payment: p}, nil
	}
}

func total(ctx context.Context, obj *model.Payment, pick func(payment.Totals) int64) (*money.Money, error) {
	txs, err := loader.For(ctx).Ledger.Load(ctx, obj.ID)()
	if err != nil {
		return nil, err
	}
	return &money.Money{Minor: pick(payment.Sum(txs)), Currency: obj.Payment.Amount.Currency}, nil
}

// paymentPayload puts a rule failure in the payload's errors (with the
// payment as it now stands, if there is one) and returns other errors.
func paymentPayload(p payment.Payment, err error) (*model.PaymentPayload, error) {
	out := &model.PaymentPayload{Errors: []*model.PaymentError{}}
	if p.ID != "" {
		out.Payment = &model.Payment{ID: p.ID, Payment: p}
	}
	if err != nil {
		errors, err := paymentErrors(err)
		out.Errors = errors
		return out, err
	}
	return out, nil
}

func paymentErrors(err error) ([]*model.PaymentError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.PaymentErrorCode) *model.PaymentError {
		return &model.PaymentError{Field: p.Field, Message: p.Message, Code: code}
	})
}

func parseMoney(in *model.MoneyInput, field string) (money.Money, error) {
	m, err := money.Parse(in.Amount, in.CurrencyCode)
	if err != nil {
		return money.Money{}, &errs.Problem{Field: errs.Field(field), Code: payment.CodeInvalidAmount, Message: err.Error()}
	}
	return m, nil
}

// optionalAmount is nil (meaning "all that is left") when in is nil.
func optionalAmount(in *model.MoneyInput) (*money.Money, error) {
	if in == nil {
		return nil, nil
	}
	m, err := parseMoney(in, "amount")
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func toMethod(m payment.Method) *model.PaymentMethod {
	return &model.PaymentMethod{ID: m.ID, Brand: m.Card.Brand, Last4: m.Card.Last4, ExpMonth: m.Card.ExpMonth, ExpYear: m.Card.ExpYear, IsDefault: m.IsDefault}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

const payoutsList = "payouts"

func toPayout(p payment.Payout) *model.Payout {
	return &model.Payout{ID: p.ID, Cutoff: p.Cutoff.UTC().Format(time.RFC3339), Captured: &p.Captured, Refunded: &p.Refunded,
		Fees: &p.Fees, Net: &p.Net, TransactionCount: p.Transactions, CreatedAt: p.CreatedAt.UTC().Format(time.RFC3339)}
}

func toAction(a *payment.Action) *model.PaymentAction {
	if a == nil {
		return nil
	}
	out := &model.PaymentAction{Type: model.PaymentActionType(a.Type)}
	if a.RedirectURL != "" {
		out.RedirectURL = &a.RedirectURL
	}
	if a.ClientSecret != "" {
		out.ClientSecret = &a.ClientSecret
	}
	return out
}
