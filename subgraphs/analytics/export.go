package analytics

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/myshop/supergraph/subgraphs/analytics/postgres"
)

// ExportPath serves the signed export links.
const ExportPath = "/export/events"

// exportSigner makes and checks export links: the link is the permission,
// so it is signed and expires.
type exportSigner struct {
	secret  []byte
	baseURL string
	now     func() time.Time
}

func (s exportSigner) sign(from, to, format string, expires int64) string {
	m := hmac.New(sha256.New, s.secret)
	fmt.Fprintf(m, "%s|%s|%s|%d", from, to, format, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// Link returns a URL valid for an hour.
func (s exportSigner) Link(from, to, format string) (string, string) {
	exp := s.now().Add(time.Hour)
	q := url.Values{"from": {from}, "to": {to}, "format": {format}, "expires": {strconv.FormatInt(exp.Unix(), 10)}}
	q.Set("sig", s.sign(from, to, format, exp.Unix()))
	return s.baseURL + ExportPath + "?" + q.Encode(), exp.UTC().Format(time.RFC3339)
}

// ReportPath serves finished reports by signed link.
const ReportPath = "/reports/download"

// ReportLink returns a link to a finished report, valid for an hour.
func (s exportSigner) ReportLink(id string) string {
	exp := s.now().Add(time.Hour).Unix()
	q := url.Values{"id": {id}, "expires": {strconv.FormatInt(exp, 10)}, "sig": {s.sign(id, "", "report", exp)}}
	return s.baseURL + ReportPath + "?" + q.Encode()
}

func (s exportSigner) reportHandler(store *postgres.Store) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
		if err != nil || !hmac.Equal([]byte(s.sign(q.Get("id"), "", "report", exp)), []byte(q.Get("sig"))) {
			http.Error(w, "invalid link", http.StatusForbidden)
			return
		}
		if s.now().Unix() > exp {
			http.Error(w, "this link has expired", http.StatusGone)
			return
		}
		result, err := store.ReportResult(r.Context(), q.Get("id"))
		if err != nil {
			http.Error(w, "no such report", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="report.csv"`)
		_, _ = w.Write(result)
	})
}

// handler streams the event log: rows are written as they are read and
// flushed every thousand, so memory stays flat however large the range.
func (s exportSigner) handler(store *postgres.Store, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
		want := s.sign(q.Get("from"), q.Get("to"), q.Get("format"), exp)
		if err != nil || !hmac.Equal([]byte(want), []byte(q.Get("sig"))) {
			http.Error(w, "invalid link", http.StatusForbidden)
			return
		}
		if s.now().Unix() > exp {
			http.Error(w, "this link has expired", http.StatusGone)
			return
		}
		from, err1 := time.Parse(time.DateOnly, q.Get("from"))
		to, err2 := time.Parse(time.DateOnly, q.Get("to"))
		if err1 != nil || err2 != nil {
			http.Error(w, "invalid range", http.StatusBadRequest)
			return
		}
		flusher, _ := w.(http.Flusher)
		n := 0
		flush := func() {
			if n++; n%1000 == 0 && flusher != nil {
				flusher.Flush()
			}
		}
		end := to.AddDate(0, 0, 1)
		if q.Get("format") == "json" {
			w.Header().Set("Content-Type", "application/x-ndjson")
			enc := json.NewEncoder(w)
			err = store.ExportEvents(r.Context(), from, end, func(id, typ, source string, at time.Time, session, payload string) error {
				flush()
				return enc.Encode(map[string]any{"id": id, "type": typ, "source": source, "occurredAt": at.UTC().Format(time.RFC3339Nano),
					"sessionId": session, "payload": json.RawMessage(payload)})
			})
		} else {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="events.csv"`)
			cw := csv.NewWriter(w)
			_ = cw.Write([]string{"id", "type", "source", "occurred_at", "session_id", "payload"})
			err = store.ExportEvents(r.Context(), from, end, func(id, typ, source string, at time.Time, session, payload string) error {
				flush()
				return cw.Write([]string{id, typ, source, at.UTC().Format(time.RFC3339Nano), session, payload})
			})
			cw.Flush()
		}
		if err != nil {
			// Headers are gone; the truncated body is all the client can get.
			log.ErrorContext(r.Context(), "export", "err", err)
		}
	})
}
