package sshd

import (
	"context"
	"flag"
	"io"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/tui"
)

// Flags are the command line's settings of the staff screen over SSH, the
// same for lifeline tui and lifeline serve.
type Flags struct {
	Addr, HostKey *string
	Idle          *time.Duration
	Max           *int
}

// AddFlags adds --ssh-addr, --ssh-host-key, --ssh-idle and
// --ssh-max-sessions to fs, described in l.
func AddFlags(fs *flag.FlagSet, l lifeline.Lang) Flags {
	return Flags{
		Addr:    fs.String("ssh-addr", "", l.Pick("通过 SSH 提供工作人员界面的地址，如 :2222", "serve the staff screen over SSH on this address, e.g. :2222")),
		HostKey: fs.String("ssh-host-key", "", l.Pick("SSH 主机密钥文件（默认：数据库旁的 "+HostKeyName+"，没有则生成）", "the SSH host key file (default: "+HostKeyName+" beside the database, made if missing)")),
		Idle:    fs.Duration("ssh-idle", DefaultIdleTimeout, l.Pick("SSH 会话无操作多久后结束", "end an SSH session after this long without a key")),
		Max:     fs.Int("ssh-max-sessions", DefaultMaxSessions, l.Pick("同时打开的 SSH 会话上限", "the most SSH sessions open at once")),
	}
}

// Server sets up the server the flags ask for, serving desk for the
// store at dsn, whose host key is beside it unless --ssh-host-key says
// otherwise; it logs to log.
func (f Flags) Server(desk tui.Config, dsn string, postgres bool, log io.Writer) (*Server, error) {
	key := *f.HostKey
	if key == "" {
		key = DefaultHostKeyPath(dsn, postgres)
	}
	return New(Config{Addr: *f.Addr, HostKey: key, Desk: desk, IdleTimeout: *f.Idle, MaxSessions: *f.Max, Log: log})
}

// Start sets up the server (Server) and starts it (Server.Start), saying
// on out where it listens.
func (f Flags) Start(desk tui.Config, dsn string, postgres bool, out, log io.Writer) (func(context.Context) error, error) {
	srv, err := f.Server(desk, dsn, postgres, log)
	if err != nil {
		return nil, err
	}
	return srv.Start(out)
}
