package events_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/myshop/supergraph/router/events"
)

// TestRender: holes take arguments (an ID may come as a number) and the
// verified subject; a hole without a value is an error, never half a name.
func TestRender(t *testing.T) {
	tpl, err := events.ParseTemplate("order:{{ args.id }}:{{ args.w.kind }}:{{claims.sub}}")
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]json.RawMessage{"id": json.RawMessage(`42`), "w": json.RawMessage(`{"kind":"a"}`)}
	if got, err := tpl.Render(args, "usr_1"); err != nil || got != "order:42:a:usr_1" {
		t.Fatalf("render: %q %v", got, err)
	}
	for name, bad := range map[string]map[string]json.RawMessage{
		"missing":   {"w": json.RawMessage(`{"kind":"a"}`)},
		"null":      {"id": json.RawMessage(`null`), "w": json.RawMessage(`{"kind":"a"}`)},
		"empty":     {"id": json.RawMessage(`""`), "w": json.RawMessage(`{"kind":"a"}`)},
		"an object": {"id": json.RawMessage(`{"a":1}`), "w": json.RawMessage(`{"kind":"a"}`)},
	} {
		if got, err := tpl.Render(bad, "usr_1"); err == nil {
			t.Errorf("%s: rendered %q", name, got)
		}
	}
	if _, err := tpl.Render(args, ""); err == nil || !strings.Contains(err.Error(), "not signed in") {
		t.Errorf("anonymous: %v", err)
	}
	for _, s := range []string{"{{ args }}", "{{ token.sub }}", "a:{{ args.id", "{{ claims.email }}"} {
		if _, err := events.ParseTemplate(s); err == nil {
			t.Errorf("%q parsed", s)
		}
	}
}

// TestFilterPasses: an event passes when its value is among the
// argument's, or when the argument is null or empty.
func TestFilterPasses(t *testing.T) {
	src, err := events.Parse(map[string]string{"channel": "all", "filter": "status in args.where.statuses"})
	if err != nil {
		t.Fatal(err)
	}
	f := src.Filter
	with := func(v string) map[string]json.RawMessage {
		return map[string]json.RawMessage{"where": json.RawMessage(v)}
	}
	for _, tt := range []struct {
		args  map[string]json.RawMessage
		value string
		want  bool
	}{
		{with(`{"statuses":["SHIPPED"]}`), "SHIPPED", true},
		{with(`{"statuses":["SHIPPED"]}`), "CONFIRMED", false},
		{with(`{"statuses":[]}`), "CONFIRMED", true},
		{with(`null`), "CONFIRMED", true},
		{map[string]json.RawMessage{}, "CONFIRMED", true},
	} {
		if got := f.Passes(tt.args, tt.value); got != tt.want {
			t.Errorf("%s with %v: %v", tt.value, tt.args, got)
		}
	}
}
