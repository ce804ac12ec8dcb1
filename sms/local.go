package sms

import (
	"context"
	"net"

	lifeline "github.com/lifeline-health/lifeline"
)

// ServeLocal runs a gateway that checks no signatures on addr, in the
// background, for a demo on one machine, and returns the address it
// listens on. stop ends it and waits until it has. An address that is
// busy or cannot be had is EUNAVAILABLE.
func ServeLocal(ctx context.Context, s Store, addr string) (listening string, stop func(), err error) {
	srv, err := NewServer(Config{Store: s, Insecure: true, PublicURL: "http://" + addr})
	if err != nil {
		return "", nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("地址 "+addr+" 已被占用或不可用", "address "+addr+" is busy or unavailable"))
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ctx, ln)
	}()
	return ln.Addr().String(), func() { cancel(); <-done }, nil
}
