package notifications

import (
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/myshop/supergraph/subgraphs/notifications/postgres"
)

// DevOutboxPath is the development outbox, a local mail catcher: every
// message that no provider took (status CAPTURED), newest first, readable
// in a browser. It is served on the subgraph's own (internal) port, and by
// `make run` beside the router; it shows one-time codes, so it is never
// routed to the public.
const DevOutboxPath = "/dev/outbox"

var devOutboxPage = template.Must(template.New("outbox").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Development outbox</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2rem;max-width:60rem}
article{border:1px solid #ccc;border-radius:6px;padding:.75rem 1rem;margin:0 0 1rem}
header{color:#555;font-size:12px} h2{font-size:16px;margin:.25rem 0}
pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem} iframe{width:100%;height:14rem;border:1px solid #ddd}
</style></head><body>
<h1>Development outbox</h1>
<p>Messages kept here because no provider is configured for their channel. They have status CAPTURED: none of them left this machine.</p>
{{range .}}<article id="{{.ID}}">
<header>{{when .CreatedAt}} · {{.Channel}} · {{.EventType}} · to {{if .To}}{{.To}}{{else}}(user {{.Recipient}}){{end}}</header>
{{if .Subject}}<h2>{{.Subject}}</h2>{{end}}
<pre>{{.BodyText}}</pre>
{{if .BodyHTML}}<iframe sandbox title="HTML body of {{.ID}}" srcdoc="{{.BodyHTML}}"></iframe>{{end}}
</article>
{{else}}<p><em>Nothing captured yet.</em></p>{{end}}
</body></html>
`))

func devOutboxHandler(store *postgres.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ms, err := store.Captured(r.Context(), 200)
		if err != nil {
			log.ErrorContext(r.Context(), "development outbox", "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		// The HTML bodies are shown in a sandboxed frame and nothing else
		// may run.
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-src 'self'")
		if err := devOutboxPage.Execute(w, ms); err != nil {
			log.WarnContext(r.Context(), "development outbox", "err", err)
		}
	})
}
