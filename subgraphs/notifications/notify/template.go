package notify

import (
	"bytes"
	"fmt"
	htmltemplate "html/template"
	"sort"
	"strings"
	texttemplate "text/template"
)

// Template renders one event type on one channel in one locale.
type Template struct {
	ID        int64
	EventType string
	Channel   Channel
	Locale    string
	Version   int
	Subject   string
	BodyText  string
	BodyHTML  string
}

// Rendered is a template applied to an event.
type Rendered struct {
	Subject, Text, HTML string
}

// Render applies t to data. A variable missing from data is an error
// (missingkey=error), never a silent "<no value>"; HTML escapes what it
// inserts.
func (t Template) Render(data map[string]any) (Rendered, error) {
	var out Rendered
	var err error
	if out.Subject, err = renderText("subject", t.Subject, data); err != nil {
		return Rendered{}, err
	}
	if out.Text, err = renderText("text", t.BodyText, data); err != nil {
		return Rendered{}, err
	}
	if t.BodyHTML != "" {
		tpl, err := htmltemplate.New("html").Option("missingkey=error").Parse(t.BodyHTML)
		if err != nil {
			return Rendered{}, fmt.Errorf("html body: %w", err)
		}
		var b bytes.Buffer
		if err := tpl.Execute(&b, data); err != nil {
			return Rendered{}, fmt.Errorf("html body: %w", err)
		}
		out.HTML = b.String()
	}
	return out, nil
}

func renderText(name, src string, data map[string]any) (string, error) {
	tpl, err := texttemplate.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, data); err != nil {
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return b.String(), nil
}

// Check validates a template before it is saved: it must parse, and it may
// use only its event's variables (plus unsubscribeUrl), which is checked by
// rendering it with exactly those.
func (t Template) Check() error {
	trig, ok := Triggers[t.EventType]
	if !ok {
		return fmt.Errorf("no event type %q sends messages; known: %s", t.EventType, strings.Join(EventTypes(), ", "))
	}
	if err := checkChannel(t.Channel); err != nil {
		return err
	}
	if strings.TrimSpace(t.BodyText) == "" {
		return fmt.Errorf("the text body is required")
	}
	if t.Channel == Email && strings.TrimSpace(t.Subject) == "" {
		return fmt.Errorf("an email needs a subject")
	}
	_, err := t.Render(SampleData(trig))
	return err
}

// SampleData has every variable a trigger's templates may use.
func SampleData(t Trigger) map[string]any {
	data := map[string]any{"unsubscribeUrl": "https://shop.example/unsubscribe?token=sample"}
	for _, v := range t.Variables {
		data[v] = "sample " + v
	}
	return data
}

// EventTypes lists the event types that send messages, sorted.
func EventTypes() []string {
	out := make([]string, 0, len(Triggers))
	for k := range Triggers {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// DefaultTemplates are used until staff save their own: English, version 0.
var DefaultTemplates = []Template{
	{EventType: "user.email_verification_requested", Channel: Email, Locale: "en",
		Subject:  "Confirm your email",
		BodyText: "Hello {{.name}},\n\nconfirm your email with this code: {{.token}}\nIt is valid until {{.expiresAt}}.\n",
		BodyHTML: "<p>Hello {{.name}},</p><p>confirm your email with this code: <code>{{.token}}</code></p><p>It is valid until {{.expiresAt}}.</p>"},
	{EventType: "user.password_reset_requested", Channel: Email, Locale: "en",
		Subject:  "Reset your password",
		BodyText: "Hello {{.name}},\n\nsomeone asked to reset your password. If it was you, use this code within 30 minutes: {{.token}}\nIf not, ignore this message.\n",
		BodyHTML: "<p>Hello {{.name}},</p><p>someone asked to reset your password. If it was you, use this code within 30 minutes: <code>{{.token}}</code></p><p>If not, ignore this message.</p>"},
	{EventType: "inventory.low_stock", Channel: Email, Locale: "en",
		Subject:  "Low stock: {{.variantId}} in {{.warehouseId}}",
		BodyText: "{{.variantId}} is down to {{.available}} in {{.warehouseId}} (threshold {{.threshold}}).\n"},
	{EventType: "payment.transaction_settled", Channel: Email, Locale: "en",
		Subject:  "{{if eq .kind \"REFUND\"}}Your refund is on its way{{else}}Your payment did not go through{{end}}",
		BodyText: "Hello {{.name}},\n\n{{if eq .kind \"REFUND\"}}we refunded your order {{.orderId}}.{{else}}the payment for order {{.orderId}} was declined ({{.errorCode}}).{{end}}\n\nManage emails: {{.unsubscribeUrl}}\n"},
	{EventType: "order.status_changed", Channel: Email, Locale: "en",
		Subject:  "Order {{.number}}: {{.to}}",
		BodyText: "Hello {{.name}},\n\nyour order {{.number}} is now {{.to}}.\n\nManage emails: {{.unsubscribeUrl}}\n"},
	{EventType: "webhook.disabled", Channel: Email, Locale: "en",
		Subject:  "Webhook {{.webhookName}} was turned off",
		BodyText: "The webhook {{.webhookName}} ({{.url}}) kept failing and was turned off: {{.reason}}.\n\nIts undelivered events wait: fix the receiver, then turn the webhook on again (updateWebhook with active: true).\n"},
	{EventType: "order.status_changed", Channel: Push, Locale: "en",
		BodyText: "Order {{.number}} is now {{.to}}"},
	// SMS: short (one 160-character segment), and STOP is Twilio's opt-out.
	{EventType: "order.status_changed", Channel: SMS, Locale: "en",
		BodyText: "MyShop: order {{.number}} is {{if eq .to \"SHIPPED\"}}on its way{{else}}delivered{{end}}. Reply STOP to opt out."},
	{EventType: "order.placed", Channel: SMS, Locale: "en",
		BodyText: "MyShop: thank you, we have your order {{.number}}. Reply STOP to opt out."},
	{EventType: EventPhoneVerification, Channel: SMS, Locale: "en",
		BodyText: "Your MyShop code is {{.code}}. It expires in {{.minutes}} minutes. Do not share it."},
}
