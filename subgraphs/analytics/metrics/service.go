package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/myshop/supergraph/platform/auth"
	"github.com/myshop/supergraph/platform/errs"
	"github.com/myshop/supergraph/subgraphs/platform/events"
)

// Tracked is one behaviour event as the storefront sends it.
type Tracked struct {
	ID, Type, SessionID string
	VisitorID           string // optional long-lived anonymous id
	Channel             string // the storefront's channel (X-Channel), or ""
	OccurredAt          time.Time
	Data                string // JSON object
}

// Ingester logs events.
type Ingester interface {
	Ingest(ctx context.Context, e events.Event, sessionID, userID string) (bool, error)
}

// Limiter counts a session's events per minute.
type Limiter interface {
	Take(ctx context.Context, key string, n int) (time.Duration, error)
}

// Track validates a batch of behaviour events and logs the ones that
// count. Bots' events and repeats are dropped; a flood from one session is
// refused with RATE_LIMIT_EXCEEDED.
func Track(ctx context.Context, store Ingester, limiter Limiter, batch []Tracked, userAgent string, now time.Time) (accepted, dropped int, err error) {
	if len(batch) > MaxTrackBatch {
		return 0, 0, errs.New(errs.Invalid, "at most %d events a call", MaxTrackBatch)
	}
	for _, t := range batch {
		if _, ok := Behaviours[t.Type]; !ok {
			return 0, 0, errs.New(errs.Invalid, "unknown event type %q", t.Type)
		}
		if t.SessionID == "" || len(t.SessionID) > MaxSessionIDLen || t.ID == "" || len(t.ID) > 128 {
			return 0, 0, errs.New(errs.Invalid, "id and sessionId are required, sessionId at most %d characters", MaxSessionIDLen)
		}
		if len(t.VisitorID) > MaxSessionIDLen || len(t.Channel) > MaxSessionIDLen {
			return 0, 0, errs.New(errs.Invalid, "visitorId and the channel are at most %d characters", MaxSessionIDLen)
		}
		if len(t.Data) > MaxPayloadBytes {
			return 0, 0, errs.New(errs.Invalid, "data is at most %d bytes", MaxPayloadBytes)
		}
	}
	if IsBot(userAgent) {
		return 0, len(batch), nil
	}
	perSession := map[string]int{}
	for _, t := range batch {
		perSession[t.SessionID]++
	}
	for sid, n := range perSession {
		wait, err := limiter.Take(ctx, "track:"+sid, n)
		if err != nil {
			return 0, 0, err
		}
		if wait > 0 {
			return 0, 0, errs.New(errs.RateLimited, "too many events from this session; retry in %d seconds", int(wait.Seconds()+0.5))
		}
	}
	userID := ""
	if c := auth.FromContext(ctx); c != nil {
		userID = c.UserID()
	}
	for _, t := range batch {
		payload := map[string]any{}
		if t.Data != "" {
			if err := json.Unmarshal([]byte(t.Data), &payload); err != nil {
				return accepted, dropped, errs.New(errs.Invalid, "data of %s is not a JSON object", t.ID)
			}
		}
		// Channel and visitor travel in the payload, where the rollups
		// (and a backfill) read them; they override the client's keys.
		delete(payload, "channel")
		delete(payload, "visitorId")
		if t.Channel != "" {
			payload["channel"] = t.Channel
		}
		if t.VisitorID != "" {
			payload["visitorId"] = t.VisitorID
		}
		at := t.OccurredAt
		// A client clock is not trusted far from ours.
		if at.IsZero() || at.After(now.Add(5*time.Minute)) || at.Before(now.Add(-24*time.Hour)) {
			at = now
		}
		// Client ids are namespaced by session: one client cannot erase
		// another's event by reusing its id.
		e := events.Event{ID: "trk_" + t.SessionID + "_" + t.ID, Type: t.Type, Source: "storefront", OccurredAt: at, Payload: payload}
		ok, err := store.Ingest(ctx, e, t.SessionID, userID)
		if err != nil {
			return accepted, dropped, fmt.Errorf("track: %w", err)
		}
		if ok {
			accepted++
		} else {
			dropped++
		}
	}
	return accepted, dropped, nil
}
