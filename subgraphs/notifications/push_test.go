package notifications_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/myshop/supergraph/platform/ids"
	"github.com/myshop/supergraph/subgraphs/notifications/channel"
	"github.com/myshop/supergraph/subgraphs/notifications/notify"
	pgstore "github.com/myshop/supergraph/subgraphs/notifications/postgres"
	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
)

// browserKeys are a subscription's keys as a browser makes them.
func browserKeys(t *testing.T) (p256dh, auth string) {
	k, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	secret := make([]byte, 16)
	_, _ = rand.Read(secret)
	return base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()), base64.RawURLEncoding.EncodeToString(secret)
}

// Order updates reach every subscribed device, encrypted and signed with
// VAPID; a device its push service says is gone (410) is forgotten.
func TestWebPush(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	got := map[string]*http.Request{}
	push := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got[r.URL.Path] = r
		mu.Unlock()
		if r.URL.Path == "/gone" {
			w.WriteHeader(http.StatusGone)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer push.Close()
	e := newEnvWith(t, "", map[string]string{"NOTIFICATIONS_VAPID_SUBJECT": "mailto:ops@shop.example"})
	ada := e.tokens.Token("usr_1")

	var key struct{ PushPublicKey *string }
	gqltest.Decode(t, gqltest.Do(t, e.h, `{ pushPublicKey }`, nil).Data, &key)
	if key.PushPublicKey == nil || len(*key.PushPublicKey) < 80 {
		t.Fatalf("pushPublicKey: %v", key.PushPublicKey)
	}
	register := `mutation($e: String!, $p: String!, $a: String!) { registerPushSubscription(input: {endpoint: $e, p256dh: $p, auth: $a}) { subscription { endpoint } errors { field code } } }`
	p256dh, auth := browserKeys(t)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, register, map[string]any{"e": push.URL + "/ok", "p": "short", "a": auth}).Data,
		`{"registerPushSubscription":{"subscription":null,"errors":[{"field":["p256dh"],"code":"INVALID_SUBSCRIPTION"}]}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, register, map[string]any{"e": "http://push.example/x", "p": p256dh, "a": auth}).Data,
		`{"registerPushSubscription":{"subscription":null,"errors":[{"field":["endpoint"],"code":"INVALID_SUBSCRIPTION"}]}}`)
	for _, ep := range []string{"/ok", "/gone"} {
		p, a := browserKeys(t)
		gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, register, map[string]any{"e": push.URL + ep, "p": p, "a": a}).Data,
			`{"registerPushSubscription":{"subscription":{"endpoint":"`+push.URL+ep+`"},"errors":[]}}`)
	}

	// The delivery worker with the push service's test certificate trusted.
	store := pgstore.New(e.pool)
	pub, priv, err := store.VAPIDKeys(context.Background(), func() (string, string, error) { t.Fatal("the keys were not kept"); return "", "", nil })
	if err != nil || pub != *key.PushPublicKey {
		t.Fatalf("kept keys: %v", err)
	}
	svc := notify.NewService(store, map[notify.Channel]notify.Sender{notify.Push: &channel.WebPush{Store: store, PublicKey: pub, PrivateKey: priv,
		Subject: "mailto:ops@shop.example", ShopURL: "https://shop.example", Client: push.Client()}}, notify.Config{}, ids.New)
	e.publish(t, "evt_1", "order.status_changed", map[string]any{"orderId": "ord_1", "number": 1001, "userId": "usr_1", "to": "SHIPPED"})
	e.publish(t, "evt_2", "order.status_changed", map[string]any{"orderId": "ord_9", "number": 1009, "userId": "usr_2", "to": "SHIPPED"}) // no device
	ctx := context.Background()
	if _, err := e.consumer.Poll(ctx, ">", 10, svc.Handle); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeliverDue(ctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	ok := got["/ok"]
	mu.Unlock()
	if ok == nil || ok.Header.Get("Content-Encoding") != "aes128gcm" || !strings.HasPrefix(ok.Header.Get("Authorization"), "vapid t=") ||
		!strings.Contains(ok.Header.Get("Authorization"), "k="+pub) || got["/gone"] == nil {
		t.Fatalf("push requests: %v", got)
	}
	// The VAPID claims: the push service's origin, and the contact once
	// (webpush-go adds "mailto:" itself).
	jwt := strings.SplitN(strings.TrimPrefix(strings.SplitN(ok.Header.Get("Authorization"), ",", 2)[0], "vapid t="), ".", 3)
	claims, _ := base64.RawURLEncoding.DecodeString(jwt[1])
	if !strings.Contains(string(claims), `"sub":"mailto:ops@shop.example"`) || !strings.Contains(string(claims), `"aud":"`+push.URL+`"`) {
		t.Fatalf("VAPID claims: %s", claims)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, `{ myPushSubscriptions { endpoint } }`, nil).Data, `{"myPushSubscriptions":[{"endpoint":"`+push.URL+`/ok"}]}`)
	var status string
	if err := e.pool.QueryRow(ctx, `SELECT status FROM messages WHERE recipient = 'usr_1' AND channel = 'PUSH'`).Scan(&status); err != nil || status != "SENT" {
		t.Fatalf("push message: %s %v", status, err)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE recipient = 'usr_2' AND channel = 'PUSH'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("a push for a user with no device: %d %v", n, err)
	}
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, `mutation($e: String!) { removePushSubscription(endpoint: $e) { errors { code } } }`, map[string]any{"e": push.URL + "/ok"}).Data,
		`{"removePushSubscription":{"errors":[]}}`)
	gqltest.JSONEq(t, gqltest.DoAs(t, e.h, ada, `{ myPushSubscriptions { endpoint } }`, nil).Data, `{"myPushSubscriptions":[]}`)
}
