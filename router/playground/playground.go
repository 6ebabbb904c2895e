// Package playground is the GraphiQL IDE the router serves at /: npm builds
// it into dist/ (see package.json), the result is checked in and embedded,
// so the page needs no network access beyond the router itself.
package playground

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy allows the page only its own assets and endpoint;
// GraphiQL sets inline styles and its CSS inlines fonts as data: URLs.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"font-src 'self' data:; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"

// Files are the assets under /playground/, in load order for scripts.
var (
	scripts = []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"}
	styles  = []string{"graphiql.min.css", "playground.css"}
)

var page = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>MyShop GraphiQL</title>
{{range .Styles}}<link rel="stylesheet" href="/playground/{{.}}">
{{end}}</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{{range .Scripts}}<script src="/playground/{{.}}"></script>
{{end}}<script src="/playground/playground.js" data-endpoint="{{.Endpoint}}"></script>
</body>
</html>
`))

// Page renders the HTML page for a GraphQL endpoint path such as /graphql.
func Page(endpoint string) []byte {
	var b bytes.Buffer
	err := page.Execute(&b, struct {
		Styles, Scripts []string
		Endpoint        string
	}{styles, scripts, endpoint})
	if err != nil {
		panic(fmt.Sprintf("playground page: %v", err)) // a static template over static data
	}
	return b.Bytes()
}

type asset struct {
	gz, plain []byte
	etag      string
	ctype     string
}

var (
	loadOnce sync.Once
	assets   map[string]*asset
	loadErr  error
)

// load reads the embedded files once; plain copies are made lazily only
// for clients that do not accept gzip.
func load() {
	raw, err := dist.ReadFile("dist/manifest.json")
	if err != nil {
		loadErr = err
		return
	}
	var manifest map[string]json.RawMessage
	if loadErr = json.Unmarshal(raw, &manifest); loadErr != nil {
		return
	}
	assets = map[string]*asset{}
	for name, entry := range manifest {
		var m struct{ SHA256 string }
		if json.Unmarshal(entry, &m) != nil || m.SHA256 == "" {
			continue // the versions entry
		}
		gz, err := dist.ReadFile("dist/" + name + ".gz")
		if err != nil {
			loadErr = fmt.Errorf("manifest names %s: %w", name, err)
			return
		}
		ctype := mime.TypeByExtension(path.Ext(name))
		if strings.HasSuffix(name, ".js") {
			ctype = "text/javascript; charset=utf-8"
		}
		assets[name] = &asset{gz: gz, etag: `"` + m.SHA256[:32] + `"`, ctype: ctype}
	}
}

// Assets serves the files of dist/ by name (mount it under /playground/).
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		loadOnce.Do(load)
		a, ok := assets[r.URL.Path]
		if loadErr != nil || !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", a.etag)
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Add("Vary", "Accept-Encoding")
		if r.Header.Get("If-None-Match") == a.etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			h.Set("Content-Encoding", "gzip")
			_, _ = w.Write(a.gz)
			return
		}
		plain, err := a.inflate()
		if err != nil {
			http.Error(w, "corrupt asset", http.StatusInternalServerError)
			return
		}
		_, _ = w.Write(plain)
	})
}

var inflateMu sync.Mutex

func (a *asset) inflate() ([]byte, error) {
	inflateMu.Lock()
	defer inflateMu.Unlock()
	if a.plain != nil {
		return a.plain, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.gz))
	if err != nil {
		return nil, err
	}
	if a.plain, err = io.ReadAll(zr); err != nil {
		return nil, err
	}
	return a.plain, nil
}
