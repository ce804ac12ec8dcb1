package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"golang.org/x/term"
)

func runStaff(ctx context.Context, app *App, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return app.usagef("用法：lifeline staff add --user 用户名 --community 社区 [--admin] [--password-stdin]",
			"usage: lifeline staff add --user USER --community COMMUNITY [--admin] [--password-stdin]")
	}
	fs := app.newFlagSet("staff add")
	user := fs.String("user", "", app.T("用户名（必填）", "user name (required)"))
	community := fs.String("community", "", app.T("所属社区；工作人员只能看到本社区的居民", "community; a worker sees only its residents"))
	admin := fs.Bool("admin", false, app.T("管理员：可以看到所有社区", "administrator: sees every community"))
	fromStdin := fs.Bool("password-stdin", false, app.T("从标准输入的第一行读取密码（用于脚本）", "read the password from the first line of standard input (for scripts)"))
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return app.usagef("多余的参数：%s", "unexpected argument: %s", fs.Arg(0))
	}
	if strings.TrimSpace(*user) == "" {
		return app.usagef("请用 --user 指定用户名", "give the user name with --user")
	}
	if *community == "" && !*admin {
		return app.usagef("工作人员需要 --community（或用 --admin 创建管理员）", "a worker needs --community (or use --admin for an administrator)")
	}
	password, err := readPassword(app, *fromStdin)
	if err != nil {
		return err
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
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

// readPassword reads a new password: the first line of standard input with
// --password-stdin, otherwise twice from the terminal without echo.
func readPassword(app *App, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(app.Stdin).ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" && err != nil {
			return "", app.usagef("标准输入中没有密码", "no password on standard input")
		}
		return line, nil
	}
	f, ok := app.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", app.usagef("标准输入不是终端：请用 --password-stdin 从标准输入读取密码", "standard input is not a terminal: use --password-stdin to read the password from it")
	}
	ask := func(prompt string) (string, error) {
		fmt.Fprint(app.Stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(app.Stderr)
		return string(b), err
	}
	p1, err := ask(app.T("新密码：", "New password: "))
	if err != nil {
		return "", err
	}
	p2, err := ask(app.T("再输入一次：", "Again: "))
	if err != nil {
		return "", err
	}
	if p1 != p2 {
		return "", app.usagef("两次输入的密码不一致", "the two passwords differ")
	}
	return p1, nil
}
