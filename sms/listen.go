package sms

import (
	"net"
	"net/netip"
	"strings"
	"sync"

	lifeline "github.com/lifeline-health/lifeline"
)

// sourceLimit is a listener that holds at most per connections from one
// source address at once: a connection past that is closed as soon as it
// is accepted, so a few hosts holding connections open on purpose (headers
// or bodies sent a byte at a time) cannot take the slots genuine callers
// need. Behind a proxy every connection comes from the proxy: the cap
// must then be off or as large as the proxy's share (--max-conns-per-source).
type sourceLimit struct {
	net.Listener
	per     int
	refused func()

	mu   sync.Mutex
	open map[netip.Addr]int
}

func limitPerSource(ln net.Listener, per int, refused func()) net.Listener {
	if per <= 0 {
		return ln
	}
	return &sourceLimit{Listener: ln, per: per, refused: refused, open: map[netip.Addr]int{}}
}

// Accept returns the next connection whose source holds fewer than per.
func (l *sourceLimit) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		src := sourceOf(c)
		l.mu.Lock()
		if l.open[src] >= l.per {
			l.mu.Unlock()
			c.Close()
			if l.refused != nil {
				l.refused()
			}
			continue
		}
		l.open[src]++
		l.mu.Unlock()
		return &sourceConn{Conn: c, release: func() { l.release(src) }}, nil
	}
}

func (l *sourceLimit) release(src netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[src]--; l.open[src] <= 0 {
		delete(l.open, src)
	}
}

// sourceOf is a connection's remote address without its port.
func sourceOf(c net.Conn) netip.Addr {
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// sourceConn gives its source's place back once, when it closes.
type sourceConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *sourceConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// CheckLoopback refuses a listening address reachable from other machines:
// a gateway that checks no signatures (--insecure-no-signature) answers
// anyone who can reach it, so it listens on loopback only.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return nil
	}
	return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
		"--insecure-no-signature 只能监听本机地址（如 127.0.0.1:8080），不能监听 "+addr,
		"--insecure-no-signature listens on loopback only (such as 127.0.0.1:8080), not on "+addr))
}
