package notify

import (
	"strings"
	"testing"
)

func TestDefaultTemplatesAreValid(t *testing.T) {
	for _, tpl := range DefaultTemplates {
		if err := tpl.Check(); err != nil {
			t.Errorf("%s/%s: %v", tpl.EventType, tpl.Channel, err)
		}
	}
}

func TestTemplateCheck(t *testing.T) {
	base := Template{EventType: "inventory.low_stock", Channel: Email, Locale: "en", Subject: "Low", BodyText: "{{.variantId}}"}
	bad := map[string]func(*Template){
		"syntax error":     func(t *Template) { t.BodyText = "{{.variantId" },
		"unknown variable": func(t *Template) { t.BodyText = "{{.creditCard}}" },
		"unknown event":    func(t *Template) { t.EventType = "nope" },
		"no subject":       func(t *Template) { t.Subject = "" },
		"unknown channel":  func(t *Template) { t.Channel = "FAX" },
		"html unknown var": func(t *Template) { t.BodyHTML = "<b>{{.secret}}</b>" },
	}
	for name, edit := range bad {
		tpl := base
		edit(&tpl)
		if err := tpl.Check(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := base.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestRenderEscapesHTML(t *testing.T) {
	tpl := Template{Subject: "Hi {{.name}}", BodyText: "{{.name}}", BodyHTML: "<p>{{.name}}</p>"}
	r, err := tpl.Render(map[string]any{"name": `<script>alert(1)</script>`})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<script>") || !strings.Contains(r.Text, "<script>") {
		t.Fatalf("html %q text %q", r.HTML, r.Text)
	}
}
