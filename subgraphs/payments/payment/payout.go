package payment

import (
	"context"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

// Payout is one settlement to the merchant's bank account.
type Payout struct {
	ID           string
	Cutoff       time.Time
	Captured     money.Money
	Refunded     money.Money
	Fees         money.Money
	Net          money.Money
	Transactions int
	CreatedAt    time.Time
}

// The provider's fee per captured transaction: 2.9% (rounded half up, per
// transaction, as card processors bill) plus 30 minor units.
const (
	feeBasisPoints = 290
	feeFixedMinor  = 30
)

// Fee is the processing fee of one capture.
func Fee(capturedMinor int64) int64 {
	return (capturedMinor*feeBasisPoints+5000)/10000 + feeFixedMinor
}

// PayoutStore keeps payouts.
type PayoutStore interface {
	// SettlePayouts creates, per currency, a payout of the successful
	// captures and refunds settled before cutoff that no payout holds yet,
	// with fee computing each capture's fee, and returns them.
	SettlePayouts(ctx context.Context, cutoff time.Time, fee func(int64) int64, newID func(string) string) ([]Payout, error)
	Payouts(ctx context.Context, after string, first int) ([]Payout, bool, error)
}

// Payouts is the settlement use cases.
type Payouts struct {
	store PayoutStore
	newID func(string) string
}

// NewPayouts returns the payouts service.
func NewPayouts(store PayoutStore, newID func(string) string) *Payouts {
	return &Payouts{store: store, newID: newID}
}

// Settle pays out everything settled before cutoff. Running it again
// finds nothing new, so the scheduler may run it as often as it likes.
func (p *Payouts) Settle(ctx context.Context, cutoff time.Time) ([]Payout, error) {
	return p.store.SettlePayouts(ctx, cutoff, Fee, p.newID)
}

// SettleNow is what the scheduler does, on a staff member's demand.
func (p *Payouts) SettleNow(ctx context.Context) ([]Payout, error) {
	if _, err := auth.Require(ctx, RefundPayments); err != nil {
		return nil, err
	}
	return p.Settle(ctx, time.Now().UTC().Truncate(24*time.Hour))
}

// List is the payout report, newest first; finance staff only.
func (p *Payouts) List(ctx context.Context, after string, first int) ([]Payout, bool, error) {
	if _, err := auth.Require(ctx, RefundPayments); err != nil {
		return nil, false, err
	}
	return p.store.Payouts(ctx, after, first)
}

// RunDaily settles, every hour, everything settled before the start of the
// current UTC day: one payout per currency per day, like a card processor.
func (p *Payouts) RunDaily(ctx context.Context, onError func(error)) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := p.Settle(ctx, time.Now().UTC().Truncate(24*time.Hour)); err != nil && ctx.Err() == nil {
			onError(err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
