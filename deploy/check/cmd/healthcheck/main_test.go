package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("ok\n"))
		case "/down":
			http.Error(w, "database unreachable", http.StatusServiceUnavailable)
		case "/redirect":
			http.Redirect(w, r, "/ok", http.StatusFound)
		case "/slow":
			time.Sleep(500 * time.Millisecond)
		}
	}))
	defer srv.Close()
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{srv.URL + "/ok"}, 0},
		{[]string{srv.URL + "/down"}, 1},
		{[]string{srv.URL + "/redirect"}, 1},
		{[]string{"-timeout", "50ms", srv.URL + "/slow"}, 1},
		{[]string{"http://127.0.0.1:1/ready"}, 1},
		{nil, 2},
		{[]string{"-bogus"}, 2},
	} {
		if got := run(tc.args, io.Discard); got != tc.want {
			t.Errorf("healthcheck %s = %d, want %d", strings.Join(tc.args, " "), got, tc.want)
		}
	}
}
