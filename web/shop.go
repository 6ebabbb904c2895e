// Package shop serves the storefront demo SPA at /shop/. npm and Vite build
// it into dist/ (see package.json and `make web`); the result is checked in
// and embedded, so building the Go binaries needs no Node.
package shop

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// Prefix is where the SPA lives; Vite builds it with this base path.
const Prefix = "/shop/"

// ContentSecurityPolicy lets the page load only its own assets and talk
// only to its own origin (GraphQL over HTTP and WebSocket). Images are the
// exception: the products subgraph serves them from its own media URL; and
// frames: a payment that needs 3-D Secure shows the provider's (the
// customer's bank's) page, wherever the provider serves it.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: http: https:; " +
	"frame-src http: https:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

type file struct {
	data []byte
	etag string
}

var (
	loadOnce sync.Once
	files    map[string]file
	loadErr  error
)

func load() {
	files = map[string]file{}
	loadErr = fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := dist.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read %s: %w", p, err)
		}
		sum := sha256.Sum256(b)
		files[strings.TrimPrefix(p, "dist/")] = file{data: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
		return nil
	})
	if loadErr == nil {
		if _, ok := files["index.html"]; !ok {
			loadErr = fmt.Errorf("dist has no index.html: run make web")
		}
	}
}

// Handler serves the SPA: /shop redirects to /shop/, files under
// /shop/assets/ are served as built (their names carry a content hash, so
// they are cached for good) and every other path under /shop/ gets
// index.html, so the client's routes (/shop/orders/<id>, ...) survive a
// reload or a shared link. Mount it at /shop/ (and /shop).
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loadOnce.Do(load)
		if loadErr != nil {
			http.Error(w, "storefront unavailable: "+loadErr.Error(), http.StatusInternalServerError)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == strings.TrimSuffix(Prefix, "/") {
			http.Redirect(w, r, Prefix, http.StatusMovedPermanently)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		name = strings.TrimPrefix(path.Clean("/"+name), "/")
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		f, isFile := files[name]
		switch {
		case isFile && name != "index.html":
			if strings.HasPrefix(name, "assets/") {
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "no-cache")
			}
		case strings.HasPrefix(name, "assets/") || path.Ext(name) != "":
			// A missing asset must be a 404, not the page: a browser would
			// otherwise try to run HTML as a script.
			http.NotFound(w, r)
			return
		default:
			f = files["index.html"]
			name = "index.html"
			h.Set("Cache-Control", "no-cache")
			h.Set("Content-Security-Policy", ContentSecurityPolicy)
			h.Set("Referrer-Policy", "same-origin")
		}
		h.Set("ETag", f.etag)
		// ServeContent answers If-None-Match, ranges and HEAD, and picks the
		// Content-Type from the name.
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.data))
	})
}
