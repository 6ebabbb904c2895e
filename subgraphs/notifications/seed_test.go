package notifications_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/myshop/supergraph/subgraphs/demo"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	pgstore "github.com/myshop/supergraph/subgraphs/notifications/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
)

// seedUntil ends the test world's history on a fixed day, so the world
// and its messages are the same on every run.
var seedUntil = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

type notification struct {
	ID, EventType, Channel, Category, To, Subject, BodyText, Status, LastError string
	Attempts                                                                   int
	History                                                                    []struct{ Status, Detail string }
}

const mine = `{ myNotifications(first: 100) { id eventType channel category to subject bodyText status attempts lastError history { status detail } } }`

func (e *env) myNotifications(t *testing.T, user string) []notification {
	t.Helper()
	r := gqltest.DoAs(t, e.h, e.tokens.Token(user), mine, nil)
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	var out struct{ MyNotifications []notification }
	if err := json.Unmarshal(r.Data, &out); err != nil {
		t.Fatal(err)
	}
	return out.MyNotifications
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSeedWritesTheWorldsMessages(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "")
	w, err := demo.New(demo.Options{Seed: demo.DefaultSeed, Scale: 1, Until: seedUntil})
	if err != nil {
		t.Fatal(err)
	}
	first := pgtest.SeedTwice(t, e.pool, func(ctx context.Context, pool *pgxpool.Pool) error { return pgstore.Seed(ctx, pool, w) },
		"contacts", "preferences", "messages", "message_events")
	if first[0] != int64(len(w.Customers)+len(w.Staff)) || first[1] != int64(len(w.OptOuts())) || first[2] < int64(len(w.Orders)) || first[3] <= first[2] {
		t.Fatalf("contacts, preferences, messages, history: %v", first)
	}

	// Who opted out of what, and who ordered most.
	out := map[string]map[string]bool{}
	for _, o := range w.OptOuts() {
		if out[o.UserID] == nil {
			out[o.UserID] = map[string]bool{}
		}
		out[o.UserID][o.Category+"/"+o.Channel] = true
	}
	orders := map[string]int{}
	for _, o := range w.Orders {
		orders[o.UserID]++
	}
	busiest := func(keep func(prefs map[string]bool) bool) string {
		best := ""
		for _, c := range w.Customers {
			if keep(out[c.ID]) && orders[c.ID] > orders[best] {
				best = c.ID
			}
		}
		if best == "" {
			t.Fatal("no customer fits")
		}
		return best
	}

	// A customer who allows everything hears about their orders by email
	// and push, in their own words, with deliveries going every which way.
	open := busiest(func(p map[string]bool) bool { return len(p) == 0 })
	ms := e.myNotifications(t, open)
	if len(ms) < 10 {
		t.Fatalf("%s ordered %d times and has %d notifications", open, orders[open], len(ms))
	}
	statuses, channels := map[string]int{}, map[string]int{}
	for _, m := range ms {
		statuses[m.Status]++
		channels[m.Channel]++
		if m.Status == "SUPPRESSED" {
			t.Errorf("%s opted out of nothing, yet %+v", open, m)
		}
		if len(m.History) == 0 || m.History[len(m.History)-1].Status != m.Status || (m.History[0].Status != "QUEUED") {
			t.Errorf("history of %s does not lead to its status: %+v", m.ID, m)
		}
		if m.Channel == "EMAIL" && (!strings.Contains(m.BodyText, "Hello ") || !strings.Contains(m.BodyText, "/unsubscribe?token=") || m.Subject == "") {
			t.Errorf("email %s is not the default template's: %q / %q", m.ID, m.Subject, m.BodyText)
		}
	}
	if len(statuses) < 2 || channels["EMAIL"] == 0 || channels["PUSH"] == 0 {
		t.Errorf("%s's notifications: statuses %v, channels %v", open, statuses, channels)
	}

	// Opted out of order pushes only: those are suppressed, emails are not.
	noPush := busiest(func(p map[string]bool) bool { return p["ORDERS/PUSH"] && !p["ORDERS/EMAIL"] })
	for _, m := range e.myNotifications(t, noPush) {
		suppressed := m.Status == "SUPPRESSED"
		if suppressed != (m.Channel == "PUSH") || (suppressed && (m.LastError != "opted out" || m.Attempts != 0)) {
			t.Errorf("%s opted out of order pushes: %+v", noPush, m)
		}
	}
	// Opted out of both: every order message is suppressed.
	none := busiest(func(p map[string]bool) bool { return p["ORDERS/PUSH"] && p["ORDERS/EMAIL"] })
	silenced := e.myNotifications(t, none)
	if len(silenced) == 0 {
		t.Fatalf("%s ordered %d times and has no notifications", none, orders[none])
	}
	for _, m := range silenced {
		if m.Status != "SUPPRESSED" {
			t.Errorf("%s opted out of order messages: %+v", none, m)
		}
	}
	r := gqltest.DoAs(t, e.h, e.tokens.Token(none), `{ myNotificationPreferences { category channel enabled } }`, nil)
	gqltest.JSONEq(t, r.Data, `{"myNotificationPreferences":[{"category":"ORDERS","channel":"EMAIL","enabled":false},{"category":"ORDERS","channel":"PUSH","enabled":false}]}`)

	// Every delivery outcome shows in the staff's stats; low stock reached staff.
	staff := e.tokens.Token(demo.StaffID("marketing"), notify.ManageNotifications)
	var stats struct {
		NotificationStats []struct {
			Status string
			Count  int
		}
		StaffNotifications []struct{ EventType, Status string }
	}
	r = gqltest.DoAs(t, e.h, staff, `{ notificationStats { status count } staffNotifications(first: 5) { eventType status } }`, nil)
	if err := json.Unmarshal(r.Data, &stats); err != nil {
		t.Fatal(err)
	}
	for _, s := range stats.NotificationStats {
		// The demo world's messages went through providers: none waits,
		// none was captured for want of one.
		if s.Status != "QUEUED" && s.Status != "CAPTURED" && s.Count == 0 {
			t.Errorf("no %s message: %+v", s.Status, stats.NotificationStats)
		}
		if (s.Status == "QUEUED" || s.Status == "CAPTURED") && s.Count != 0 {
			t.Errorf("%d seeded messages are queued: the delivery worker would send them now", s.Count)
		}
	}
	if len(stats.StaffNotifications) == 0 || stats.StaffNotifications[0].EventType != "inventory.low_stock" {
		t.Errorf("staff notifications: %+v", stats.StaffNotifications)
	}

	// The real event, relayed after the seed, is a repeat: nothing new.
	var o *demo.Order
	for i := range w.Orders {
		if w.Orders[i].UserID == open && w.Orders[i].Status == demo.Delivered {
			o = &w.Orders[i]
		}
	}
	if o == nil {
		t.Fatalf("%s has no delivered order", open)
	}
	for _, ev := range w.OrderEvents(o) {
		if ev.Type == "order.status_changed" && ev.Payload["to"] == demo.Delivered {
			if e.count(t, `SELECT count(*) FROM messages WHERE event_id = $1 AND recipient = $2`, ev.ID, open) != 2 {
				t.Fatalf("no email and push for %s", ev.ID)
			}
			e.publish(t, ev.ID, ev.Type, ev.Payload)
		}
	}
	e.drain(t)
	if got := pgtest.RowCounts(t, e.pool, "contacts", "preferences", "messages", "message_events"); fmt.Sprint(got) != fmt.Sprint(first) {
		t.Errorf("a relayed event already seeded added messages: %v, then %v", first, got)
	}
}
