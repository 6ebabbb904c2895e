package media_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/myshop/supergraph/subgraphs/products/media"
)

func TestValidKey(t *testing.T) {
	for key, want := range map[string]bool{
		"images/prd_00001/img_01.jpg": true, "demo/prd_00001_200.jpg": true, "": false, "/abs": false,
		"a/../b": false, "a//b": false, "A.png": false, "a/./b": false, "a\\b": false, "a b": false,
	} {
		if got := media.ValidKey(key); got != want {
			t.Errorf("ValidKey(%q) = %v", key, got)
		}
	}
}

func TestProcess(t *testing.T) {
	t.Parallel()
	var jpg, gf bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 1000, 250))
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	pal := image.NewPaletted(image.Rect(0, 0, 50, 40), color.Palette{color.Black, color.White})
	if err := gif.Encode(&gf, pal, nil); err != nil {
		t.Fatal(err)
	}
	webp, _ := base64.StdEncoding.DecodeString("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==") // 1×1 lossless
	for _, tt := range []struct {
		name    string
		data    []byte
		ct      string
		w, h    int
		thumbW0 int
	}{
		{"jpeg", jpg.Bytes(), "image/jpeg", 1000, 250, 200},
		{"gif", gf.Bytes(), "image/gif", 50, 40, 50},
		{"webp", webp, "image/webp", 1, 1, 1},
	} {
		p, err := media.Process(tt.data)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if p.ContentType != tt.ct || p.Width != tt.w || p.Height != tt.h || len(p.Thumbnails) != 2 || p.Thumbnails[0].Width != tt.thumbW0 {
			t.Fatalf("%s: %+v", tt.name, p)
		}
	}
	for name, data := range map[string][]byte{
		"exe":            append([]byte("MZ\x90\x00"), make([]byte, 600)...),
		"truncated jpeg": jpg.Bytes()[:200],
		"svg":            []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"empty":          nil,
	} {
		if _, err := media.Process(data); !errors.Is(err, media.ErrInvalidImage) {
			t.Errorf("%s: %v, want ErrInvalidImage", name, err)
		}
	}
	if _, err := media.Process(make([]byte, 11<<20)); !errors.Is(err, media.ErrTooLarge) {
		t.Errorf("11 MB: %v", err)
	}
}

func TestLocalPresignedPut(t *testing.T) {
	t.Parallel()
	l := media.NewLocal(t.TempDir(), "http://shop.test/media", []byte("k"))
	mux := http.NewServeMux()
	media.Routes(mux, l, nil)
	put := func(rawURL, ct string, body string) int {
		req := httptest.NewRequest(http.MethodPut, strings.TrimPrefix(rawURL, "http://shop.test"), strings.NewReader(body))
		req.Header.Set("Content-Type", ct)
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		return w.Code
	}
	ok, _ := l.PresignPut(t.Context(), "uploads/a.png", "image/png", 5, time.Minute)
	expired, _ := l.PresignPut(t.Context(), "uploads/b.png", "image/png", 5, -time.Second)
	other, _ := media.NewLocal(t.TempDir(), "http://shop.test/media", []byte("other")).PresignPut(t.Context(), "uploads/c.png", "image/png", 5, time.Minute)
	if ok.Headers.Get("Content-Type") != "image/png" || !ok.ExpiresAt.After(time.Now()) {
		t.Fatalf("presigned %+v", ok)
	}
	pre := httptest.NewRecorder()
	mux.ServeHTTP(pre, httptest.NewRequest(http.MethodOptions, strings.TrimPrefix(ok.URL, "http://shop.test"), nil))
	if pre.Code != http.StatusNoContent || pre.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Fatalf("preflight: %d %v", pre.Code, pre.Header())
	}
	for name, tt := range map[string]struct {
		url, ct, body string
		want          int
	}{
		"expired":       {expired.URL, "image/png", "abc", http.StatusForbidden},
		"another key":   {other.URL, "image/png", "abc", http.StatusForbidden},
		"wrong type":    {ok.URL, "image/gif", "abc", http.StatusForbidden},
		"too large":     {ok.URL, "image/png", "abcdef", http.StatusRequestEntityTooLarge},
		"no signature":  {strings.Split(ok.URL, "?")[0], "image/png", "abc", http.StatusForbidden},
		"fine":          {ok.URL, "image/png", "abcde", http.StatusOK},
		"fine, smaller": {ok.URL, "image/png", "ab", http.StatusOK},
	} {
		if got := put(tt.url, tt.ct, tt.body); got != tt.want {
			t.Errorf("%s: %d, want %d", name, got, tt.want)
		}
	}
}

// newFakeS3 runs gofakes3 (an S3 server, in memory) with bucket "media".
func newFakeS3(t *testing.T) (*media.S3, *httptest.Server) {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	s, err := media.NewS3(media.S3Config{Endpoint: srv.URL, Bucket: "media", AccessKey: "key", SecretKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func TestS3RoundTrip(t *testing.T) {
	t.Parallel()
	s, srv := newFakeS3(t)
	ctx := t.Context()
	if err := s.Put(ctx, "images/p/a.png", "image/png", strings.NewReader("png bytes"), 9); err != nil {
		t.Fatal(err)
	}
	rc, info, err := s.Get(ctx, "images/p/a.png")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "png bytes" || info.ContentType != "image/png" || info.Size != 9 || info.ETag == "" {
		t.Fatalf("got %q %+v", got, info)
	}
	if _, _, err := s.Get(ctx, "images/p/none.png"); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("absent key: %v", err)
	}
	if err := s.Delete(ctx, "images/p/a.png"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Get(ctx, "images/p/a.png"); !errors.Is(err, media.ErrNotFound) {
		t.Fatalf("deleted key: %v", err)
	}
	if err := s.Delete(ctx, "images/p/a.png"); err != nil {
		t.Fatalf("deleting twice: %v", err)
	}

	// A presigned PUT: path-style URL, type and length signed.
	p, err := s.PresignPut(ctx, "uploads/u.jpg", "image/jpeg", 4, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.URL, srv.URL+"/media/uploads/u.jpg?") || !strings.Contains(p.URL, "X-Amz-Signature=") ||
		!strings.Contains(p.URL, "X-Amz-Expires=900") || !strings.Contains(strings.ToLower(p.URL), "content-length%3bcontent-type") {
		t.Fatalf("presigned URL %s", p.URL)
	}
	if p.Headers.Get("Content-Type") != "image/jpeg" || p.Headers.Get("Content-Length") != "4" || p.Headers.Get("Host") != "" {
		t.Fatalf("presigned headers %v", p.Headers)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPut, p.URL, strings.NewReader("jpeg"))
	req.Header = p.Headers.Clone()
	req.ContentLength = 4
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %d", resp.StatusCode)
	}
	rc, info, err = s.Get(ctx, "uploads/u.jpg")
	if err != nil {
		t.Fatal(err)
	}
	got, _ = io.ReadAll(rc)
	rc.Close()
	if string(got) != "jpeg" || info.ContentType != "image/jpeg" {
		t.Fatalf("uploaded %q %+v", got, info)
	}
}

func TestOpen(t *testing.T) {
	if _, err := media.Open(media.Config{Backend: "s3"}, nil); err == nil {
		t.Error("s3 without a bucket opened")
	}
	if _, err := media.Open(media.Config{Backend: "ftp"}, nil); err == nil {
		t.Error("unknown backend opened")
	}
}
