// Package egress is how the notifications subgraph calls URLs that others
// chose (webhook receivers, browsers' push endpoints): never into the
// shop's own network unless allowed, checked when the connection is made.
package egress

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// Private is every address such a call must not reach from inside the
// shop's network: loopback, RFC 1918 and ULA, link-local (cloud metadata
// at 169.254.169.254), CGNAT, unspecified and multicast.
func Private(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsUnspecified() ||
		a.IsMulticast() || a.IsInterfaceLocalMulticast() || cgnat.Contains(a)
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Client returns an HTTP client that refuses to connect to a Private
// address (unless allowPrivate) at the moment it dials, so a name that
// resolved to a public address when it was saved cannot be pointed inside
// later (DNS rebinding), and follows no redirect (a second, unchecked
// destination).
func Client(timeout time.Duration, allowPrivate bool) *http.Client {
	dialer := &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		if !allowPrivate && Private(ap.Addr()) {
			return fmt.Errorf("%s is a private address", ap.Addr())
		}
		return nil
	}}
	return &http.Client{
		Timeout:       timeout,
		Transport:     &http.Transport{DialContext: dialer.DialContext, TLSHandshakeTimeout: timeout, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
