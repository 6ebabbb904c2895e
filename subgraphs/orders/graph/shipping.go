package graph

import (
	"fmt"

	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/orders/graph/model"
	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
	"github.com/myshop/supergraph/subgraphs/platform/payload"
)

func toChannel(c order.Channel) *model.Channel {
	return &model.Channel{Slug: c.Code, Currency: c.Currency, Countries: c.Countries, PricesIncludeTax: c.Tax.PricesIncludeTax,
		TaxRounding: model.TaxRounding(c.Tax.Rounding)}
}

func toShippingZone(z order.ShippingZone) *model.ShippingZone {
	return &model.ShippingZone{ID: z.ID, Name: z.Name, Countries: z.Countries, Regions: z.Regions}
}

func toShippingRate(r order.ShippingRate) *model.ShippingRate {
	m := func(minor int64) *money.Money { return &money.Money{Minor: minor, Currency: r.Currency} }
	out := &model.ShippingRate{ID: r.ID, ZoneID: r.ZoneID, Channel: r.Channel, Code: model.ShippingMethodCode(r.Code), Name: r.Name,
		MinDays: r.MinDays, MaxDays: r.MaxDays, RateKind: model.ShippingRateKind(r.Kind), Bands: []*model.ShippingBand{}}
	if r.Kind == order.RateFlat {
		out.Price = m(r.Price)
	}
	for _, b := range r.Bands {
		band := &model.ShippingBand{Price: m(b.Price)}
		if b.UpTo != nil {
			// Grams are whole numbers; a subtotal limit reads as an amount.
			upTo := fmt.Sprint(*b.UpTo)
			if r.Kind == order.RateSubtotal {
				upTo = m(*b.UpTo).Amount()
			}
			band.UpTo = &upTo
		}
		out.Bands = append(out.Bands, band)
	}
	if r.FreeAbove != nil {
		out.FreeAbove = m(*r.FreeAbove)
	}
	return out
}

// shippingErrors turns a rule failure into payload errors; other errors
// stay errors.
func shippingErrors(err error) ([]*model.ShippingError, error) {
	return payload.Errors(err, func(p *errs.Problem, code model.ShippingErrorCode) *model.ShippingError {
		return &model.ShippingError{Field: p.Field, Message: p.Message, Code: code}
	})
}
