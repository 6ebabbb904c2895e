package products_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/myshop/supergraph/subgraphs/demo"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/myshop/supergraph/subgraphs/platform/gqltest"
	"github.com/myshop/supergraph/subgraphs/platform/pgtest"
	"github.com/myshop/supergraph/subgraphs/platform/postgres"
	"github.com/myshop/supergraph/subgraphs/products"
	"github.com/myshop/supergraph/subgraphs/products/media"
	pgstore "github.com/myshop/supergraph/subgraphs/products/postgres"
	"github.com/myshop/supergraph/subgraphs/products/product"
)

// mediaSubgraph is a seeded products subgraph with images in dir, and
// helpers that speak to it as staff.
type mediaSubgraph struct {
	t     *testing.T
	base  http.Handler
	staff http.Handler
	dir   string
	stmts *postgres.StatementCounter
}

func newMediaSubgraph(t *testing.T, env map[string]string) *mediaSubgraph {
	dir := t.TempDir()
	settings := map[string]string{"PRODUCTS_MEDIA_DIR": dir, "PRODUCTS_MEDIA_SECRET": "test-secret"}
	for k, v := range env {
		settings[k] = v
	}
	h, counter := newSubgraphEnv(t, settings)
	return &mediaSubgraph{t: t, base: h, staff: as(h, "usr_0002", "MANAGE_PRODUCTS"), dir: dir, stmts: counter}
}

// do runs q as staff and returns the one payload's data.
func (m *mediaSubgraph) do(q string, vars map[string]any) map[string]any {
	m.t.Helper()
	r := gqltest.Do(m.t, m.staff, q, vars)
	if len(r.Errors) > 0 {
		m.t.Fatalf("errors: %+v", r.Errors)
	}
	var out map[string]any
	gqltest.Decode(m.t, r.Data, &out)
	for _, v := range out {
		return v.(map[string]any)
	}
	return nil
}

type upload struct {
	ID, URL string
	Headers http.Header
}

const createUpload = `mutation($p: ID!, $f: String!, $ct: String!, $n: Int!) {
	createProductImageUpload(productId: $p, filename: $f, contentType: $ct, size: $n) {
		upload { uploadId uploadUrl headers { name value } expiresAt } errors { code field } } }`

func (m *mediaSubgraph) create(productID, filename, contentType string, size int) (upload, []any) {
	m.t.Helper()
	p := m.do(createUpload, map[string]any{"p": productID, "f": filename, "ct": contentType, "n": size})
	if errs := p["errors"].([]any); len(errs) > 0 {
		return upload{}, errs
	}
	u := p["upload"].(map[string]any)
	out := upload{ID: u["uploadId"].(string), URL: u["uploadUrl"].(string), Headers: http.Header{}}
	for _, h := range u["headers"].([]any) {
		out.Headers.Add(h.(map[string]any)["name"].(string), h.(map[string]any)["value"].(string))
	}
	return out, nil
}

// put sends body to a presigned URL through the subgraph's handler.
func (m *mediaSubgraph) put(rawURL string, headers http.Header, body []byte) *httptest.ResponseRecorder {
	m.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		m.t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if u.Host != "127.0.0.1:4002" { // S3: a real server
		req, _ := http.NewRequestWithContext(m.t.Context(), http.MethodPut, rawURL, bytes.NewReader(body))
		req.Header = headers.Clone()
		req.ContentLength = int64(len(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			m.t.Fatal(err)
		}
		defer resp.Body.Close()
		w.Code = resp.StatusCode
		return w
	}
	req := httptest.NewRequest(http.MethodPut, u.RequestURI(), bytes.NewReader(body))
	for k, vs := range headers {
		req.Header[k] = vs
	}
	m.base.ServeHTTP(w, req)
	return w
}

// get fetches a media URL through the subgraph's handler.
func (m *mediaSubgraph) get(rawURL string) *httptest.ResponseRecorder {
	m.t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		m.t.Fatal(err)
	}
	w := httptest.NewRecorder()
	m.base.ServeHTTP(w, httptest.NewRequest(http.MethodGet, u.RequestURI(), nil))
	return w
}

const confirmUpload = `mutation($u: ID!, $alt: String) { confirmProductImageUpload(uploadId: $u, alt: $alt) {
	image { id url alt contentType width height byteSize position thumbnails { size url width height contentType } } errors { code field } } }`

func (m *mediaSubgraph) confirm(uploadID, alt string) map[string]any {
	m.t.Helper()
	return m.do(confirmUpload, map[string]any{"u": uploadID, "alt": alt})
}

// uploadImage does the whole flow and returns the image.
func (m *mediaSubgraph) uploadImage(productID string, data []byte, contentType, filename string) map[string]any {
	m.t.Helper()
	u, errs := m.create(productID, filename, contentType, len(data))
	if errs != nil {
		m.t.Fatalf("create upload: %v", errs)
	}
	if w := m.put(u.URL, u.Headers, data); w.Code != http.StatusOK {
		m.t.Fatalf("PUT: %d %s", w.Code, w.Body)
	}
	p := m.confirm(u.ID, "alt of "+filename)
	if errs := p["errors"].([]any); len(errs) > 0 {
		m.t.Fatalf("confirm: %v", errs)
	}
	return p["image"].(map[string]any)
}

func pngOf(t *testing.T, w, h int, transparent bool) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			a := uint8(255)
			if transparent && x < w/2 {
				a = 0
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), 90, a})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decoded(t *testing.T, w *httptest.ResponseRecorder, contentType string, width, height int) {
	t.Helper()
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != contentType {
		t.Fatalf("GET: %d %q, want 200 %s", w.Code, w.Header().Get("Content-Type"), contentType)
	}
	if cc := w.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || w.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("caching headers: %v", w.Header())
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(w.Body.Bytes()))
	if err != nil || "image/"+format != contentType || cfg.Width != width || cfg.Height != height {
		t.Fatalf("served %s %dx%d (%v), want %s %dx%d", format, cfg.Width, cfg.Height, err, contentType, width, height)
	}
}

func TestImageUploadFlow(t *testing.T) {
	t.Parallel()
	m := newMediaSubgraph(t, nil)
	data := pngOf(t, 1200, 800, false)
	img := m.uploadImage("prd_00010", data, "image/png", "photo.png")
	if img["contentType"] != "image/png" || img["width"] != 1200.0 || img["height"] != 800.0 || img["byteSize"] != float64(len(data)) ||
		img["alt"] != "alt of photo.png" || img["position"] != 0.0 {
		t.Fatalf("image %+v", img)
	}
	decoded(t, m.get(img["url"].(string)), "image/png", 1200, 800)
	if got := m.get(img["url"].(string)).Body.Bytes(); !bytes.Equal(got, data) {
		t.Fatal("the original is not served as uploaded")
	}
	thumbs := img["thumbnails"].([]any)
	want := []struct{ size, w, h int }{{200, 200, 133}, {600, 600, 400}}
	if len(thumbs) != len(want) {
		t.Fatalf("thumbnails %v", thumbs)
	}
	for i, w := range want {
		th := thumbs[i].(map[string]any)
		if th["size"] != float64(w.size) || th["width"] != float64(w.w) || th["height"] != float64(w.h) || th["contentType"] != "image/jpeg" {
			t.Fatalf("thumbnail %d: %v", i, th)
		}
		decoded(t, m.get(th["url"].(string)), "image/jpeg", w.w, w.h)
	}
	// A second image: transparent, so its thumbnails are PNG; it goes last.
	img2 := m.uploadImage("prd_00010", pngOf(t, 300, 500, true), "image/png", "cut-out.png")
	if img2["position"] != 1.0 {
		t.Fatalf("second image at %v", img2["position"])
	}
	th := img2["thumbnails"].([]any)[1].(map[string]any) // 600: not upscaled
	if th["contentType"] != "image/png" || th["width"] != 300.0 || th["height"] != 500.0 {
		t.Fatalf("transparent thumbnail %v", th)
	}
	decoded(t, m.get(th["url"].(string)), "image/png", 300, 500)

	// Everyone sees them on the product, in position order.
	r := gqltest.Do(t, m.base, `{ product(id: "prd_00010") { images { id position } } }`, nil)
	gqltest.JSONEq(t, r.Data, fmt.Sprintf(`{"product":{"images":[{"id":%q,"position":0},{"id":%q,"position":1}]}}`, img["id"], img2["id"]))

	// Reorder: the second becomes the main image.
	p := m.do(`mutation($id: ID!) { updateProductImage(id: $id, position: 0, alt: "front") { image { position alt } errors { code } } }`, map[string]any{"id": img2["id"]})
	gqltest.JSONEq(t, []byte(mustJSON(t, p)), `{"image":{"position":0,"alt":"front"},"errors":[]}`)
	r = gqltest.Do(t, m.base, `{ product(id: "prd_00010") { images { id position } } }`, nil)
	gqltest.JSONEq(t, r.Data, fmt.Sprintf(`{"product":{"images":[{"id":%q,"position":0},{"id":%q,"position":1}]}}`, img2["id"], img["id"]))

	// Delete: the row and every file go; the other image moves up.
	files := func() int {
		n := 0
		filepath.WalkDir(filepath.Join(m.dir, "images"), func(_ string, d os.DirEntry, err error) error { //nolint:errcheck // counting
			if err == nil && !d.IsDir() {
				n++
			}
			return nil
		})
		return n
	}
	if n := files(); n != 6 {
		t.Fatalf("%d files stored, want 6 (2 originals, 4 thumbnails)", n)
	}
	p = m.do(`mutation($id: ID!) { deleteProductImage(id: $id) { deletedImageId errors { code } } }`, map[string]any{"id": img2["id"]})
	if p["deletedImageId"] != img2["id"] {
		t.Fatalf("delete: %v", p)
	}
	if n := files(); n != 3 {
		t.Fatalf("%d files left, want 3", n)
	}
	if w := m.get(th["url"].(string)); w.Code != http.StatusNotFound {
		t.Fatalf("deleted thumbnail: %d", w.Code)
	}
	r = gqltest.Do(t, m.base, `{ product(id: "prd_00010") { images { id position } } }`, nil)
	gqltest.JSONEq(t, r.Data, fmt.Sprintf(`{"product":{"images":[{"id":%q,"position":0}]}}`, img["id"]))
	p = m.do(`mutation($id: ID!) { deleteProductImage(id: $id) { deletedImageId errors { code } } }`, map[string]any{"id": img2["id"]})
	gqltest.JSONEq(t, []byte(mustJSON(t, p)), `{"deletedImageId":null,"errors":[{"code":"NOT_FOUND"}]}`)
}

func TestImageUploadRefusals(t *testing.T) {
	t.Parallel()
	m := newMediaSubgraph(t, nil)
	code := func(errs []any) string {
		if len(errs) != 1 {
			return fmt.Sprint(errs)
		}
		return errs[0].(map[string]any)["code"].(string)
	}

	t.Run("executable renamed .jpg", func(t *testing.T) {
		exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), bytes.Repeat([]byte{0x90}, 4000)...)
		u, errs := m.create("prd_00011", "holiday.jpg", "image/jpeg", len(exe))
		if errs != nil {
			t.Fatal(errs)
		}
		if w := m.put(u.URL, u.Headers, exe); w.Code != http.StatusOK {
			t.Fatalf("PUT: %d", w.Code)
		}
		p := m.confirm(u.ID, "")
		if c := code(p["errors"].([]any)); c != "INVALID_IMAGE" {
			t.Fatalf("confirm: %s, want INVALID_IMAGE", c)
		}
		// Gone: not confirmable again, and the bytes were deleted.
		if c := code(m.confirm(u.ID, "")["errors"].([]any)); c != "NOT_FOUND" {
			t.Fatalf("second confirm: %s", c)
		}
		if entries, _ := os.ReadDir(filepath.Join(m.dir, "uploads")); len(entries) != 0 {
			t.Fatalf("refused upload left %d files", len(entries))
		}
	})
	t.Run("text declared as png", func(t *testing.T) {
		body := []byte("<html><script>alert(1)</script></html>")
		u, _ := m.create("prd_00011", "x.png", "image/png", len(body))
		m.put(u.URL, u.Headers, body)
		if c := code(m.confirm(u.ID, "")["errors"].([]any)); c != "INVALID_IMAGE" {
			t.Fatalf("confirm: %s", c)
		}
	})
	t.Run("11 MB declared", func(t *testing.T) {
		if _, errs := m.create("prd_00011", "huge.jpg", "image/jpeg", 11<<20); code(errs) != "IMAGE_TOO_LARGE" {
			t.Fatalf("create: %v", errs)
		}
	})
	t.Run("11 MB sent to a URL signed for less", func(t *testing.T) {
		u, _ := m.create("prd_00011", "small.png", "image/png", 1000)
		if w := m.put(u.URL, u.Headers, make([]byte, 11<<20)); w.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("PUT: %d, want 413", w.Code)
		}
	})
	t.Run("11 MB in storage", func(t *testing.T) {
		// A store that cannot enforce the size (or a client that went
		// around it): confirm checks again.
		u, _ := m.create("prd_00011", "big.png", "image/png", 1000)
		key := strings.TrimPrefix(must(url.Parse(u.URL)).Path, "/media/upload/")
		big := append(pngOf(t, 10, 10, false), make([]byte, 11<<20)...)
		if err := media.NewLocal(m.dir, "", nil).Put(t.Context(), key, "image/png", bytes.NewReader(big), int64(len(big))); err != nil {
			t.Fatal(err)
		}
		if c := code(m.confirm(u.ID, "")["errors"].([]any)); c != "IMAGE_TOO_LARGE" {
			t.Fatalf("confirm: %s", c)
		}
	})
	t.Run("not uploaded yet", func(t *testing.T) {
		u, _ := m.create("prd_00011", "later.png", "image/png", 100)
		if c := code(m.confirm(u.ID, "")["errors"].([]any)); c != "UPLOAD_INCOMPLETE" {
			t.Fatalf("confirm: %s", c)
		}
	})
	t.Run("bad requests", func(t *testing.T) {
		for _, tt := range []struct {
			product, ct, want string
			size              int
		}{{"prd_99999", "image/png", "NOT_FOUND", 10}, {"prd_00011", "application/x-msdownload", "INVALID_IMAGE", 10}, {"prd_00011", "image/png", "INVALID", 0}} {
			if _, errs := m.create(tt.product, "f.png", tt.ct, tt.size); code(errs) != tt.want {
				t.Errorf("%+v: %v", tt, errs)
			}
		}
	})
	t.Run("tampered and expired URLs", func(t *testing.T) {
		data := pngOf(t, 20, 20, false)
		u, _ := m.create("prd_00011", "a.png", "image/png", len(data))
		tamper := func(param, value string) string {
			parsed := must(url.Parse(u.URL))
			q := parsed.Query()
			q.Set(param, value)
			parsed.RawQuery = q.Encode()
			return parsed.String()
		}
		other := strings.Replace(u.URL, "/uploads/", "/uploads/x", 1)
		for name, tt := range map[string]struct {
			url     string
			headers http.Header
		}{
			"later expiry":       {tamper("expires", "9999999999"), u.Headers},
			"larger maximum":     {tamper("max", "99999999"), u.Headers},
			"other type":         {tamper("ct", "text/html"), http.Header{"Content-Type": {"text/html"}}},
			"bad signature":      {tamper("sig", strings.Repeat("0", 64)), u.Headers},
			"other key":          {other, u.Headers},
			"wrong Content-Type": {u.URL, http.Header{"Content-Type": {"text/html"}}},
			"expired":            {expiredURL(t, m.dir, u.URL), u.Headers},
		} {
			if w := m.put(tt.url, tt.headers, data); w.Code != http.StatusForbidden {
				t.Errorf("%s: %d, want 403", name, w.Code)
			}
		}
		if w := m.put(u.URL, u.Headers, data); w.Code != http.StatusOK {
			t.Fatalf("the untampered URL: %d", w.Code)
		}
	})
	t.Run("unconfirmed uploads are not served", func(t *testing.T) {
		if w := m.get("/media/uploads/anything.png"); w.Code != http.StatusNotFound {
			t.Fatalf("GET upload: %d", w.Code)
		}
	})
}

// expiredURL is uploadURL signed, with the test's secret, to expire a
// second ago.
func expiredURL(t *testing.T, dir, uploadURL string) string {
	t.Helper()
	parsed := must(url.Parse(uploadURL))
	key := strings.TrimPrefix(parsed.Path, "/media/upload/")
	base := parsed.Scheme + "://" + parsed.Host + "/media"
	p, err := media.NewLocal(dir, base, []byte("test-secret")).PresignPut(t.Context(), key, parsed.Query().Get("ct"), 1000, -2e9)
	if err != nil {
		t.Fatal(err)
	}
	return p.URL
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestImageMutationsNeedManageProducts(t *testing.T) {
	t.Parallel()
	m := newMediaSubgraph(t, nil)
	for _, q := range []string{
		`mutation { createProductImageUpload(productId: "prd_00001", filename: "a.png", contentType: "image/png", size: 10) { errors { code } } }`,
		`mutation { confirmProductImageUpload(uploadId: "upl_x") { errors { code } } }`,
		`mutation { updateProductImage(id: "img_00001", position: 1) { errors { code } } }`,
		`mutation { deleteProductImage(id: "img_00001") { errors { code } } }`,
	} {
		for name, tt := range map[string]struct {
			h    http.Handler
			code string
		}{"anonymous": {m.base, "UNAUTHENTICATED"}, "customer": {as(m.base, "usr_0001", ""), "FORBIDDEN"}} {
			r := gqltest.Do(t, tt.h, q, nil)
			if len(r.Errors) == 0 || r.Errors[0].Code() != tt.code {
				t.Errorf("%s %s: errors %+v, want %s", name, q[:40], r.Errors, tt.code)
			}
		}
	}
	// The demo image is still there.
	r := gqltest.Do(t, m.base, `{ product(id: "prd_00001") { images { id } } }`, nil)
	gqltest.JSONEq(t, r.Data, `{"product":{"images":[{"id":"img_00001"}]}}`)
}

// TestDemoImages: seeded products have images whose files are rendered on
// first request, then stored.
func TestDemoImages(t *testing.T) {
	t.Parallel()
	m := newMediaSubgraph(t, nil)
	r := gqltest.Do(t, m.base, `{ product(id: "prd_00003") { name images { url alt width height byteSize contentType thumbnails { url width height contentType } } } }`, nil)
	var out struct {
		Product struct {
			Name   string
			Images []struct {
				URL, Alt, ContentType string
				Width, Height         int
				ByteSize              int
				Thumbnails            []struct {
					URL, ContentType string
					Width, Height    int
				}
			}
		}
	}
	gqltest.Decode(t, r.Data, &out)
	if len(out.Product.Images) != 1 {
		t.Fatalf("images: %s", r.Data)
	}
	img := out.Product.Images[0]
	if img.Alt != out.Product.Name || img.Width != 800 || img.Height != 600 {
		t.Fatalf("demo image %+v", img)
	}
	w := m.get(img.URL)
	decoded(t, w, "image/png", 800, 600)
	if w.Body.Len() != img.ByteSize {
		t.Fatalf("served %d bytes, byteSize %d", w.Body.Len(), img.ByteSize)
	}
	if _, err := os.Stat(filepath.Join(m.dir, "demo", "prd_00003.png")); err != nil {
		t.Fatalf("not stored after the first request: %v", err)
	}
	for _, th := range img.Thumbnails {
		decoded(t, m.get(th.URL), th.ContentType, th.Width, th.Height)
	}
	// Only demo keys of the right shape are rendered.
	for _, bad := range []string{"/media/demo/prd_00003_201.jpg", "/media/demo/../x.png", "/media/demo/prd_00003.gif"} {
		if w := m.get(bad); w.Code == http.StatusOK { // 404, or the mux's redirect of a path with ..
			t.Errorf("%s: %d", bad, w.Code)
		}
	}
	// HEAD and conditional GET.
	w = m.get(img.URL)
	req := httptest.NewRequest(http.MethodGet, must(url.Parse(img.URL)).RequestURI(), nil)
	req.Header.Set("If-None-Match", w.Header().Get("ETag"))
	w2 := httptest.NewRecorder()
	m.base.ServeHTTP(w2, req)
	if w.Header().Get("ETag") == "" || w2.Code != http.StatusNotModified {
		t.Fatalf("conditional GET: %d (ETag %q)", w2.Code, w.Header().Get("ETag"))
	}
}

// TestEntitiesWithImages: _entities for 100 products with their images and
// thumbnails costs one statement per table.
func TestEntitiesWithImages(t *testing.T) {
	t.Parallel()
	m := newMediaSubgraph(t, nil)
	m.uploadImage("prd_00050", pngOf(t, 64, 64, false), "image/png", "a.png")
	m.uploadImage("prd_00050", pngOf(t, 32, 64, false), "image/png", "b.png")
	var reps []any
	for i := 1; i <= 100; i++ {
		reps = append(reps, map[string]any{"__typename": "Product", "id": fmt.Sprintf("prd_%05d", i)})
	}
	m.stmts.Reset()
	r := gqltest.Do(t, m.staff, `query($r: [_Any!]!) { _entities(representations: $r) { ... on Product { id images { url position thumbnails { url } } } } }`,
		map[string]any{"r": reps})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var out struct {
		Entities []struct {
			ID     string
			Images []struct{ URL string }
		} `json:"_entities"`
	}
	gqltest.Decode(t, r.Data, &out)
	with := 0
	for _, e := range out.Entities {
		if len(e.Images) > 0 {
			with++
		}
	}
	if len(out.Entities) != 100 || with != 9 {
		t.Fatalf("%d entities, %d with images; want 100, 9 (8 demo images and prd_00050)", len(out.Entities), with)
	}
	if n := m.stmts.Count(); n != 2 {
		t.Fatalf("statements = %d, want 2 (products, images)", n)
	}
}

// TestImageUploadS3: the same flow with the S3 backend, against gofakes3
// (an S3 server in this process): the presigned PUT goes to "S3", the
// subgraph reads it back at confirmation and serves the files from there.
func TestImageUploadS3(t *testing.T) {
	t.Parallel()
	backend := s3mem.New()
	if err := backend.CreateBucket("shop-media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	m := newMediaSubgraph(t, map[string]string{"PRODUCTS_MEDIA_BACKEND": "s3", "PRODUCTS_S3_ENDPOINT": srv.URL,
		"PRODUCTS_S3_BUCKET": "shop-media", "PRODUCTS_S3_ACCESS_KEY": "k", "PRODUCTS_S3_SECRET_KEY": "s"})
	data := pngOf(t, 900, 300, false)
	u, errs := m.create("prd_00012", "wide.png", "image/png", len(data))
	if errs != nil {
		t.Fatal(errs)
	}
	if !strings.HasPrefix(u.URL, srv.URL+"/shop-media/uploads/") || u.Headers.Get("Content-Length") != fmt.Sprint(len(data)) {
		t.Fatalf("upload %+v", u)
	}
	if w := m.put(u.URL, u.Headers, data); w.Code != http.StatusOK {
		t.Fatalf("PUT to S3: %d", w.Code)
	}
	p := m.confirm(u.ID, "wide")
	if errs := p["errors"].([]any); len(errs) > 0 {
		t.Fatal(errs)
	}
	img := p["image"].(map[string]any)
	decoded(t, m.get(img["url"].(string)), "image/png", 900, 300)
	th := img["thumbnails"].([]any)[0].(map[string]any)
	decoded(t, m.get(th["url"].(string)), "image/jpeg", 200, 67)

	objects := func() int {
		list, err := backend.ListBucket("shop-media", &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
		if err != nil {
			t.Fatal(err)
		}
		return len(list.Contents)
	}
	if n := objects(); n != 3 { // the upload's object was deleted at confirmation
		t.Fatalf("%d objects in the bucket, want 3", n)
	}
	// An executable is refused from S3 too.
	exe := append([]byte("MZ\x90\x00"), make([]byte, 1000)...)
	u, _ = m.create("prd_00012", "setup.jpg", "image/jpeg", len(exe))
	m.put(u.URL, u.Headers, exe)
	if p := m.confirm(u.ID, ""); fmt.Sprint(p["errors"]) != "[map[code:INVALID_IMAGE field:[uploadId]]]" {
		t.Fatalf("exe: %v", p["errors"])
	}
	m.do(`mutation($id: ID!) { deleteProductImage(id: $id) { errors { code } } }`, map[string]any{"id": img["id"]})
	if n := objects(); n != 0 {
		t.Fatalf("%d objects left after deleting the image", n)
	}
	// Demo images are rendered into S3 on first request as well.
	decoded(t, m.get("http://127.0.0.1:4002/media/demo/prd_00002_600.jpg"), "image/jpeg", 600, 450)
}

// TestSweepUploads: uploads never confirmed are deleted, bytes and all,
// once expired; others stay.
func TestSweepUploads(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := postgres.Open(ctx, pgtest.NewDatabase(t, pgstore.Migrations), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pgstore.Seed(ctx, pool, demo.Default()); err != nil {
		t.Fatal(err)
	}
	store := pgstore.New(pool)
	files := media.NewLocal(t.TempDir(), "http://x/media", nil)
	for i, exp := range []time.Duration{-2 * time.Hour, time.Minute} {
		u := product.ImageUpload{ID: fmt.Sprintf("upl_%d", i), ProductID: "prd_00001", Key: fmt.Sprintf("uploads/upl_%d.png", i),
			Filename: "a.png", ContentType: "image/png", Size: 3, ExpiresAt: time.Now().Add(exp)}
		if err := store.CreateImageUpload(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := files.Put(ctx, u.Key, u.ContentType, strings.NewReader("abc"), 3); err != nil {
			t.Fatal(err)
		}
	}
	n, err := products.SweepUploadsOnce(ctx, store, files, time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("swept %d, %v; want 1", n, err)
	}
	if _, _, err := files.Get(ctx, "uploads/upl_0.png"); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("expired upload's bytes: %v", err)
	}
	if _, err := store.ImageUpload(ctx, "upl_0"); err == nil {
		t.Fatal("expired upload still recorded")
	}
	if _, err := store.ImageUpload(ctx, "upl_1"); err != nil {
		t.Fatalf("live upload: %v", err)
	}
}
