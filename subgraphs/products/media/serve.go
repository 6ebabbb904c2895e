package media

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Served says which keys GET /media serves: confirmed images, their
// thumbnails and the demo images. Uploads waiting for confirmation are
// never served, so nothing unchecked is ever on the shop's origin.
func Served(key string) bool {
	return ValidKey(key) && (strings.HasPrefix(key, "images/") || strings.HasPrefix(key, "demo/"))
}

// Routes adds GET /media/<key> (every backend: the subgraph proxies S3
// too, so URLs do not depend on the backend) and, for the local backend,
// PUT /media/upload/<key> (presigned uploads) to mux.
func Routes(mux *http.ServeMux, s Storage, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux.Handle("GET /media/{key...}", serve(s, log))
	if l, ok := s.(*Local); ok {
		mux.HandleFunc("PUT /media/upload/{key...}", withCORS(l.Upload))
		mux.HandleFunc("OPTIONS /media/upload/{key...}", withCORS(func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}))
	}
}

// Objects' keys hold ids that are never reused: an object never changes,
// so browsers and CDNs may keep it for a year.
const cacheControl = "public, max-age=31536000, immutable"

func serve(s Storage, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("key")
		if !Served(key) {
			http.NotFound(w, r)
			return
		}
		body, info, err := s.Get(r.Context(), key)
		if errors.Is(err, ErrNotFound) {
			data, ct, ok := DemoObject(key)
			if !ok {
				http.NotFound(w, r)
				return
			}
			// First request for a demo image: store it, then serve it.
			if err := s.Put(r.Context(), key, ct, bytes.NewReader(data), int64(len(data))); err != nil {
				log.Error("media: store demo image", "key", key, "err", err)
			}
			body, info = io.NopCloser(bytes.NewReader(data)), Info{ContentType: ct, Size: int64(len(data)), LastModified: time.Now().UTC()}
		} else if err != nil {
			log.Error("media: get", "key", key, "err", err)
			http.Error(w, "media unavailable", http.StatusBadGateway)
			return
		}
		defer body.Close()
		h := w.Header()
		h.Set("Content-Type", info.ContentType)
		h.Set("Cache-Control", cacheControl)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		if info.ETag != "" {
			h.Set("ETag", info.ETag)
			if r.Header.Get("If-None-Match") == info.ETag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if !info.LastModified.IsZero() {
			h.Set("Last-Modified", info.LastModified.Format(http.TimeFormat))
		}
		if info.Size >= 0 {
			h.Set("Content-Length", strconv.FormatInt(info.Size, 10))
		}
		if r.Method == http.MethodHead {
			return
		}
		if _, err := io.Copy(w, body); err != nil {
			log.Debug("media: send", "key", key, "err", err)
		}
	})
}

// withCORS lets a storefront or admin SPA on any origin PUT to an upload
// URL, as it could to S3 with a CORS rule: the URL's signature is the
// authorization, no cookie is involved, so any origin is safe.
func withCORS(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Methods", "PUT")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "600")
		h(w, r)
	}
}
