package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
)

// Dashboard is a staff member's saved set of widgets.
type Dashboard struct {
	ID, Owner, Name string
	Widgets         json.RawMessage
	UpdatedAt       time.Time
}

// Widget is one chart of a dashboard, stored as the client sent it.
type Widget struct {
	Metric    string `json:"metric"` // SALES, TRAFFIC, FUNNEL, PRODUCTS or CUSTOMERS
	RangeDays int    `json:"rangeDays"`
	Bucket    string `json:"bucket"`
	Chart     string `json:"chart"` // LINE, BAR or NUMBER
}

// Report is a report request and, when done, its CSV.
type Report struct {
	ID, Owner, Kind, Bucket, Currency string
	From, To                          time.Time
	Status                            string
	Progress                          int
	Error                             string
	Result                            []byte
	CreatedAt                         time.Time
	FinishedAt                        *time.Time
}

// Schedule makes a report every day or week over the last RangeDays.
type Schedule struct {
	ID, Owner, Kind, Bucket, Currency, Every string
	RangeDays                                int
	NextRunAt                                time.Time
}

// ErrNoReport is returned when no report matches.
var ErrNoReport = errors.New("no such report")

// MaxRangeDays is the longest range a widget or a schedule covers: two
// years and a day, for a year-on-year comparison.
const MaxRangeDays = 731

// Store is what the analytics use cases read and write.
type Store interface {
	Ingester
	Sales(ctx context.Context, r Range, bucket, currency string, channel *string) ([]SalesPoint, error)
	TopProducts(ctx context.Context, r Range, currency string, channel *string, by Rank, n int) ([]ProductSales, error)
	TopCategories(ctx context.Context, r Range, currency string, channel *string, by Rank, n int) ([]CategorySales, error)
	Traffic(ctx context.Context, r Range, bucket string, channel *string) ([]TrafficPoint, error)
	Funnel(ctx context.Context, r Range, channel *string) (Funnel, error)
	Customers(ctx context.Context, r Range, bucket string, channel *string) ([]CustomerPoint, CustomerPoint, error)
	// Backfill rebuilds the rollups from the event log; it returns the
	// days rebuilt.
	Backfill(ctx context.Context) (int, error)
	// SaveDashboard creates or updates one of d.Owner's dashboards; false
	// when the id belongs to someone else.
	SaveDashboard(ctx context.Context, d Dashboard) (bool, error)
	Dashboards(ctx context.Context, owner string) ([]Dashboard, error)
	QueueReport(ctx context.Context, r Report) error
	// Report is one of owner's reports; ErrNoReport when there is none.
	Report(ctx context.Context, owner, id string) (Report, error)
	Reports(ctx context.Context, owner string, limit int) ([]Report, error)
	SaveSchedule(ctx context.Context, sc Schedule) error
}

// Service is the analytics use cases: every one but tracking is for staff
// with READ_ANALYTICS.
type Service struct {
	store   Store
	limiter Limiter
	newID   func(prefix string) string
	now     func() time.Time
}

// NewService returns the analytics service over store; limiter bounds a
// session's tracked events.
func NewService(store Store, limiter Limiter, newID func(prefix string) string) *Service {
	return &Service{store: store, limiter: limiter, newID: newID, now: time.Now}
}

// Track logs a batch of behaviour events (see the function Track).
func (s *Service) Track(ctx context.Context, batch []Tracked, userAgent string) (accepted, dropped int, err error) {
	return Track(ctx, s.store, s.limiter, batch, userAgent, s.now())
}

// Sales are the sales per bucket of r.
func (s *Service) Sales(ctx context.Context, r Range, bucket, currency string, channel *string) ([]SalesPoint, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return nil, err
	}
	return s.store.Sales(ctx, r, bucket, currency, channel)
}

// TopProducts are the n best-selling variants of r.
func (s *Service) TopProducts(ctx context.Context, r Range, currency string, channel *string, by Rank, n int) ([]ProductSales, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return nil, err
	}
	return s.store.TopProducts(ctx, r, currency, channel, by, n)
}

// TopCategories are the n best-selling categories of r.
func (s *Service) TopCategories(ctx context.Context, r Range, currency string, channel *string, by Rank, n int) ([]CategorySales, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return nil, err
	}
	return s.store.TopCategories(ctx, r, currency, channel, by, n)
}

// Traffic is the storefront's traffic per bucket of r.
func (s *Service) Traffic(ctx context.Context, r Range, bucket string, channel *string) ([]TrafficPoint, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return nil, err
	}
	return s.store.Traffic(ctx, r, bucket, channel)
}

// Funnel is r's conversion funnel.
func (s *Service) Funnel(ctx context.Context, r Range, channel *string) (Funnel, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return Funnel{}, err
	}
	return s.store.Funnel(ctx, r, channel)
}

// Customers are the customers per bucket of r, and over all of it.
func (s *Service) Customers(ctx context.Context, r Range, bucket string, channel *string) ([]CustomerPoint, CustomerPoint, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return nil, CustomerPoint{}, err
	}
	return s.store.Customers(ctx, r, bucket, channel)
}

// Rebuild rebuilds the rollups from the event log.
func (s *Service) Rebuild(ctx context.Context) (int, error) {
	if _, err := auth.Require(ctx, ReadAnalytics); err != nil {
		return 0, err
	}
	return s.store.Backfill(ctx)
}

// SaveDashboard creates (id nil) or replaces one of the caller's
// dashboards. Only widgets the storefront can draw are kept.
func (s *Service) SaveDashboard(ctx context.Context, id *string, name string, widgets []Widget) (Dashboard, error) {
	c, err := auth.Require(ctx, ReadAnalytics)
	if err != nil {
		return Dashboard{}, err
	}
	if strings.TrimSpace(name) == "" || len(widgets) > 50 {
		return Dashboard{}, errs.New(errs.Invalid, "a dashboard needs a name and at most 50 widgets")
	}
	for _, w := range widgets {
		if !map[string]bool{"SALES": true, "TRAFFIC": true, "FUNNEL": true, "PRODUCTS": true, "CUSTOMERS": true}[w.Metric] || !map[string]bool{"LINE": true, "BAR": true, "NUMBER": true}[w.Chart] ||
			w.RangeDays < 1 || w.RangeDays > MaxRangeDays {
			return Dashboard{}, errs.New(errs.Invalid, "widget %s/%s over %d days is not one we can draw", w.Metric, w.Chart, w.RangeDays)
		}
	}
	raw, err := json.Marshal(widgets)
	if err != nil {
		return Dashboard{}, err
	}
	d := Dashboard{ID: s.newID("dsh"), Owner: c.UserID(), Name: name, Widgets: raw}
	if id != nil {
		d.ID = *id
	}
	ok, err := s.store.SaveDashboard(ctx, d)
	if err != nil {
		return Dashboard{}, err
	}
	if !ok {
		return Dashboard{}, errs.New(errs.NotFound, "no dashboard %s of yours", d.ID)
	}
	return d, nil
}

// MyDashboards are the caller's dashboards.
func (s *Service) MyDashboards(ctx context.Context) ([]Dashboard, error) {
	c, err := auth.Require(ctx, ReadAnalytics)
	if err != nil {
		return nil, err
	}
	return s.store.Dashboards(ctx, c.UserID())
}

// RequestReport queues a report of kind over r for the caller.
func (s *Service) RequestReport(ctx context.Context, kind string, r Range, bucket, currency string) (Report, error) {
	c, err := auth.Require(ctx, ReadAnalytics)
	if err != nil {
		return Report{}, err
	}
	rep := Report{ID: s.newID("rpt"), Owner: c.UserID(), Kind: kind, From: r.From, To: r.To,
		Bucket: bucket, Currency: currency, Status: "QUEUED", CreatedAt: s.now()}
	if err := s.store.QueueReport(ctx, rep); err != nil {
		return Report{}, err
	}
	return rep, nil
}

// ScheduleReport makes a report of kind every day or week (every) over
// the last rangeDays, for the caller, starting now.
func (s *Service) ScheduleReport(ctx context.Context, kind string, rangeDays int, b Bucket, currency, every string) (Schedule, error) {
	c, err := auth.Require(ctx, ReadAnalytics)
	if err != nil {
		return Schedule{}, err
	}
	if rangeDays < 1 || rangeDays > MaxRangeDays {
		return Schedule{}, errs.New(errs.Invalid, "rangeDays is between 1 and %d", MaxRangeDays)
	}
	trunc, err := b.Trunc()
	if err != nil {
		return Schedule{}, errs.New(errs.Invalid, "%s", err)
	}
	if err := CheckBucket(Range{To: time.Time{}.AddDate(0, 0, rangeDays-1)}, b); err != nil {
		return Schedule{}, errs.New(errs.Invalid, "%s", err)
	}
	sc := Schedule{ID: s.newID("rsc"), Owner: c.UserID(), Kind: kind, Bucket: trunc, Currency: currency,
		Every: every, RangeDays: rangeDays, NextRunAt: s.now()}
	if err := s.store.SaveSchedule(ctx, sc); err != nil {
		return Schedule{}, err
	}
	return sc, nil
}

// MyReports are the caller's latest limit reports.
func (s *Service) MyReports(ctx context.Context, limit int) ([]Report, error) {
	c, err := auth.Require(ctx, ReadAnalytics)
	if err != nil {
		return nil, err
	}
	return s.store.Reports(ctx, c.UserID(), limit)
}

// Report is one of the caller's reports; false when there is none.
func (s *Service) Report(ctx context.Context, id string) (Report, bool, error) {
	c, err := auth.Require(ctx, ReadAnalytics)
	if err != nil {
		return Report{}, false, err
	}
	rep, err := s.store.Report(ctx, c.UserID(), id)
	if errors.Is(err, ErrNoReport) {
		return Report{}, false, nil
	}
	return rep, err == nil, err
}

// MayExport checks the caller may export events; the export itself is a
// signed link to the export endpoint.
func (s *Service) MayExport(ctx context.Context) error {
	_, err := auth.Require(ctx, ReadAnalytics)
	return err
}
