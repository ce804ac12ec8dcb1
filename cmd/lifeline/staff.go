package main

import (
	"context"
	"flag"
	"fmt"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
)

func runStaff(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("staff", args) {
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "add" {
		return app.usagef("用法：lifeline staff add --user 用户名 --community 社区 [--admin] [--password-stdin]",
			"usage: lifeline staff add --user USER --community COMMUNITY [--admin] [--password-stdin]")
	}
	fs := app.newFlagSet("staff add")
	user := fs.String("user", "", app.T("用户名（必填）", "user name (required)"))
	community := fs.String("community", "", app.T("所属社区；工作人员只能看到本社区的居民", "community; a worker sees only its residents"))
	admin := fs.Bool("admin", false, app.T("管理员：可以看到所有社区", "administrator: sees every community"))
	fromStdin := fs.Bool("password-stdin", false, app.T("从标准输入的第一行读取密码（用于脚本）", "read the password from the first line of standard input (for scripts)"))
	if err := app.parse(fs, args[1:]); err != nil {
		return err
	}
	if strings.TrimSpace(*user) == "" {
		return app.usagef("请用 --user 指定用户名", "give the user name with --user")
	}
	if *community == "" && !*admin {
		return app.usagef("工作人员需要 --community（或用 --admin 创建管理员）", "a worker needs --community (or use --admin for an administrator)")
	}
	password, err := auth.ReadNewPassword(app.Stdin, app.Stderr, *fromStdin, app.Lang)
	if lifeline.ErrorCode(err) == lifeline.EINVALID {
		return app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	app.creates = true // the first administrator comes before anything else
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	s := &lifeline.Staff{User: *user, Community: *community, Role: lifeline.RoleStaff, PasswordHash: hash}
	if *admin {
		s.Role = lifeline.RoleAdmin
	}
	if err := db.CreateStaff(ctx, s); err != nil {
		return err
	}
	ctx = lifeline.WithActor(ctx, lifeline.Actor{User: "cli"})
	if err := db.Audit(ctx, lifeline.AuditEntry{Action: "staff_add", Detail: s.User + " " + string(s.Role) + " " + s.Community}); err != nil {
		return err
	}
	if *admin {
		fmt.Fprintf(app.Stdout, app.T("已添加管理员 %s（可查看所有社区）。\n", "added administrator %s (sees every community).\n"), s.User)
	} else {
		fmt.Fprintf(app.Stdout, app.T("已添加工作人员 %s（%s）。\n", "added staff %s (%s).\n"), s.User, s.Community)
	}
	return nil
}
