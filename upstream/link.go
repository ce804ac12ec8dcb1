package upstream

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"

	lifeline "github.com/lifeline-health/lifeline"
)

// Link is lifeline's side of the city platform link as one process runs
// it (lifeline upstream): registrations and tubes delivered to URL, and
// the results API served on Listener; either half may be left out. It runs
// beside `lifeline serve` on the same database, on any number of replicas:
// the delivery lease lets one deliver at a time.
type Link struct {
	Store interface {
		DeliveryStore
		ResultsStore
	}
	URL, Token string       // where and with what to deliver; "" delivers nothing
	Listener   net.Listener // where the results API listens; nil takes no results
	APIToken   string       // what the results API requires
	Log        *slog.Logger
	// Out hears, in Lang, what the link serves, for the person who
	// started it.
	Out  io.Writer
	Lang lifeline.Lang
}

// OpenLink readies a link: deliveries to url (with the bearer token in
// TokenEnv), the results API listening on addr (requiring the token in
// APITokenEnv); "" leaves a half out. A half without its token is
// refused: the platform needs one, and the API is never open without.
func OpenLink(url, addr string) (*Link, error) {
	l := &Link{URL: url, Token: os.Getenv(TokenEnv), APIToken: os.Getenv(APITokenEnv)}
	if url != "" && l.Token == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置 "+TokenEnv+"：市级平台需要访问令牌", TokenEnv+" is not set: the platform needs a bearer token"))
	}
	if addr != "" && l.APIToken == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("未设置 "+APITokenEnv+"：结果接口不能无令牌开放", APITokenEnv+" is not set: the results API is never open without a token"))
	}
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法监听 "+addr+"：地址被占用或不可用", "cannot listen on "+addr+": the address is busy or unavailable"))
		}
		l.Listener = ln
	}
	return l, nil
}

// Run runs the link until ctx ends, then lets requests in flight and the
// delivery under way finish.
func (l *Link) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if l.Listener != nil {
		defer l.Listener.Close()
	}
	delivered := make(chan struct{})
	if l.URL != "" {
		d := &Deliverer{Store: l.Store, URL: l.URL, Token: l.Token, Logf: func(format string, args ...any) { l.Log.Warn(fmt.Sprintf(format, args...)) }}
		go func() { defer close(delivered); d.Run(ctx) }()
		fmt.Fprintf(l.Out, l.Lang.Pick("正在向 %s 上送现场登记。\n", "delivering on-site registrations to %s\n"), l.URL)
	} else {
		close(delivered)
	}
	var err error
	if l.Listener == nil {
		<-ctx.Done()
	} else {
		h := NewResultsHandler(l.Store, l.APIToken, nil)
		h.Logf = func(format string, args ...any) { l.Log.Error(fmt.Sprintf(format, args...)) }
		fmt.Fprintf(l.Out, l.Lang.Pick("检测结果接口：http://%s%s\n", "results API: http://%s%s\n"), l.Listener.Addr(), ResultsPath)
		err = ServeResults(ctx, l.Listener, h)
		cancel()
	}
	<-delivered
	return err
}
