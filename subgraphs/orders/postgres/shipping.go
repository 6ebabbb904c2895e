package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/myshop/supergraph/subgraphs/orders/order"
	"github.com/myshop/supergraph/subgraphs/platform/money"
)

const channelColumns = `code, currency, countries, prices_include_tax, tax_rounding`

func scanChannel(row pgx.CollectableRow) (order.Channel, error) {
	var c order.Channel
	var currency, rounding string
	err := row.Scan(&c.Code, &currency, &c.Countries, &c.Tax.PricesIncludeTax, &rounding)
	c.Currency, c.Tax.Rounding = money.Currency(currency), order.Rounding(rounding)
	return c, err
}

// Channels: see order.ShippingStore. The oldest first.
func (s *Store) Channels(ctx context.Context) ([]order.Channel, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+channelColumns+` FROM channels ORDER BY created_at, code`)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	cs, err := pgx.CollectRows(rows, scanChannel)
	if err != nil {
		return nil, fmt.Errorf("channels: %w", err)
	}
	return cs, nil
}

// Channel: see order.ShippingStore.
func (s *Store) Channel(ctx context.Context, code string) (order.Channel, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+channelColumns+` FROM channels WHERE code = $1`, code)
	if err != nil {
		return order.Channel{}, fmt.Errorf("channel %s: %w", code, err)
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanChannel)
	if errors.Is(err, pgx.ErrNoRows) {
		return order.Channel{}, order.ErrNotFound
	}
	if err != nil {
		return order.Channel{}, fmt.Errorf("channel %s: %w", code, err)
	}
	return c, nil
}

// CreateChannel: see order.ShippingStore.
func (s *Store) CreateChannel(ctx context.Context, c order.Channel) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO channels (`+channelColumns+`) VALUES ($1, $2, $3, $4, $5)`,
		c.Code, string(c.Currency), c.Countries, c.Tax.PricesIncludeTax, string(c.Tax.Rounding))
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return order.ErrTaken
	}
	if err != nil {
		return fmt.Errorf("create channel: %w", err)
	}
	return nil
}

// ShippingZones: see order.ShippingStore.
func (s *Store) ShippingZones(ctx context.Context) ([]order.ShippingZone, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, countries, regions FROM shipping_zones ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("shipping zones: %w", err)
	}
	zs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.ShippingZone, error) {
		var z order.ShippingZone
		return z, row.Scan(&z.ID, &z.Name, &z.Countries, &z.Regions)
	})
	if err != nil {
		return nil, fmt.Errorf("shipping zones: %w", err)
	}
	return zs, nil
}

// CreateShippingZone: see order.ShippingStore.
func (s *Store) CreateShippingZone(ctx context.Context, z order.ShippingZone) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO shipping_zones (id, name, countries, regions) VALUES ($1, $2, $3, $4)`,
		z.ID, z.Name, z.Countries, z.Regions)
	if err != nil {
		return fmt.Errorf("create shipping zone: %w", err)
	}
	return nil
}

// ShippingRates: see order.ShippingStore.
func (s *Store) ShippingRates(ctx context.Context, channel string) ([]order.ShippingRate, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.zone_id, m.channel, c.currency, m.code, m.name, m.min_days, m.max_days, m.rate_kind,
    m.price_minor, m.band_limits, m.band_prices, m.free_above_minor
FROM shipping_methods m JOIN channels c ON c.code = m.channel
WHERE $1 = '' OR m.channel = $1 ORDER BY m.created_at, m.id`, channel)
	if err != nil {
		return nil, fmt.Errorf("shipping rates: %w", err)
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (order.ShippingRate, error) {
		var r order.ShippingRate
		var currency, code, kind string
		var limits []*int64
		var prices []int64
		err := row.Scan(&r.ID, &r.ZoneID, &r.Channel, &currency, &code, &r.Name, &r.MinDays, &r.MaxDays, &kind, &r.Price,
			&limits, &prices, &r.FreeAbove)
		r.Currency, r.Code, r.Kind = money.Currency(currency), order.ShippingMethod(code), order.RateKind(kind)
		for i := range min(len(limits), len(prices)) {
			r.Bands = append(r.Bands, order.Band{UpTo: limits[i], Price: prices[i]})
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("shipping rates: %w", err)
	}
	return rs, nil
}

// CreateShippingRate: see order.ShippingStore.
func (s *Store) CreateShippingRate(ctx context.Context, r order.ShippingRate) error {
	limits, prices := make([]*int64, len(r.Bands)), make([]int64, len(r.Bands))
	for i, b := range r.Bands {
		limits[i], prices[i] = b.UpTo, b.Price
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO shipping_methods (id, zone_id, channel, code, name, min_days, max_days, rate_kind,
    price_minor, band_limits, band_prices, free_above_minor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		r.ID, r.ZoneID, r.Channel, string(r.Code), r.Name, r.MinDays, r.MaxDays, string(r.Kind), r.Price, limits, prices, r.FreeAbove)
	if pgErr := (*pgconn.PgError)(nil); errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return order.ErrTaken
	}
	if err != nil {
		return fmt.Errorf("create shipping rate: %w", err)
	}
	return nil
}
