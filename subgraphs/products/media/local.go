package media

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"time"
)

// Local keeps objects as files under a directory. An object's content type
// is its key's extension's (keys made here always have one), so nothing
// is stored beside the file.
type Local struct {
	dir     string
	baseURL string
	secret  []byte
}

// NewLocal returns the backend over dir (created on the first Put), whose
// upload URLs start with baseURL+"/upload/" and are signed with secret
// (empty: a random per-process key).
func NewLocal(dir, baseURL string, secret []byte) *Local {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
	}
	return &Local{dir: dir, baseURL: baseURL, secret: secret}
}

func (l *Local) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("media: invalid key %q", key)
	}
	return filepath.Join(l.dir, filepath.FromSlash(key)), nil
}

// Put writes the file through a temporary file and a rename, so a reader
// never sees half an object.
func (l *Local) Put(_ context.Context, key, _ string, r io.Reader, size int64) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return fmt.Errorf("media: %w", err)
	}
	defer os.Remove(f.Name()) //nolint:errcheck // gone after the rename
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("media: put %s: %w", key, err)
	}
	if size >= 0 && n != size {
		return fmt.Errorf("media: put %s: got %d bytes, want %d", key, n, size)
	}
	if err := os.Rename(f.Name(), p); err != nil {
		return fmt.Errorf("media: %w", err)
	}
	return nil
}

// Get opens the file.
func (l *Local) Get(_ context.Context, key string) (io.ReadCloser, Info, error) {
	p, err := l.path(key)
	if err != nil {
		return nil, Info{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Info{}, ErrNotFound
	}
	if err != nil {
		return nil, Info{}, fmt.Errorf("media: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Info{}, fmt.Errorf("media: %w", err)
	}
	ct := mime.TypeByExtension(path.Ext(key))
	if ct == "" {
		ct = "application/octet-stream"
	}
	etag := fmt.Sprintf(`"%x-%x"`, st.ModTime().UnixNano(), st.Size())
	return f, Info{ContentType: ct, Size: st.Size(), ETag: etag, LastModified: st.ModTime().UTC()}, nil
}

// Delete removes the file.
func (l *Local) Delete(_ context.Context, key string) error {
	p, err := l.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("media: %w", err)
	}
	return nil
}

// PresignPut returns baseURL/upload/<key>?ct=…&max=…&expires=…&sig=…,
// which Uploads accepts until expiry.
func (l *Local) PresignPut(_ context.Context, key, contentType string, maxSize int64, expiry time.Duration) (Presigned, error) {
	if !ValidKey(key) {
		return Presigned{}, fmt.Errorf("media: invalid key %q", key)
	}
	exp := time.Now().Add(expiry).Truncate(time.Second)
	q := url.Values{}
	q.Set("ct", contentType)
	q.Set("max", strconv.FormatInt(maxSize, 10))
	q.Set("expires", strconv.FormatInt(exp.Unix(), 10))
	q.Set("sig", l.sign(key, contentType, maxSize, exp.Unix()))
	return Presigned{
		URL:       l.baseURL + "/upload/" + key + "?" + q.Encode(),
		Headers:   http.Header{"Content-Type": {contentType}},
		ExpiresAt: exp,
	}, nil
}

func (l *Local) sign(key, contentType string, maxSize, expires int64) string {
	m := hmac.New(sha256.New, l.secret)
	fmt.Fprintf(m, "PUT\n%s\n%s\n%d\n%d", key, contentType, maxSize, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// Upload answers PUT /media/upload/<key> with a presigned URL: 403 when the
// signature is wrong, the URL has expired or the Content-Type is not the
// signed one; 413 when the body is larger than the signed maximum.
func (l *Local) Upload(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	q := r.URL.Query()
	ct := q.Get("ct")
	maxSize, err1 := strconv.ParseInt(q.Get("max"), 10, 64)
	expires, err2 := strconv.ParseInt(q.Get("expires"), 10, 64)
	sig, err3 := hex.DecodeString(q.Get("sig"))
	if err1 != nil || err2 != nil || err3 != nil || !ValidKey(key) {
		http.Error(w, "invalid upload URL", http.StatusForbidden)
		return
	}
	want, _ := hex.DecodeString(l.sign(key, ct, maxSize, expires))
	switch {
	case !hmac.Equal(sig, want):
		http.Error(w, "invalid upload URL signature", http.StatusForbidden)
		return
	case time.Now().Unix() > expires:
		http.Error(w, "upload URL expired", http.StatusForbidden)
		return
	case r.Header.Get("Content-Type") != ct:
		http.Error(w, "Content-Type must be "+ct, http.StatusForbidden)
		return
	case r.ContentLength > maxSize:
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	body := http.MaxBytesReader(w, r.Body, maxSize)
	if err := l.Put(r.Context(), key, ct, body, -1); err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "could not store the upload", http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}
