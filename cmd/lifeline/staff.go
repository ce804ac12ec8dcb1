package main

import (
	"context"
	"flag"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/sshd"
)

// staffVerbs are the staff subcommands and the flags each takes beside
// --user.
var staffVerbs = map[string]string{
	"add": "community admin password-stdin", "list": "", "password": "password-stdin",
	"disable": "", "enable": "", "remove": "", "unlock": "",
	"key add": "key", "key list": "", "key remove": "fingerprint",
}

// runStaff manages staff accounts: add, list, disable, enable, remove,
// password, unlock, key add|list|remove. Every change is audited as the
// operating system's user running the command (auth.CommandLineActor).
func runStaff(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("staff", args) {
		return flag.ErrHelp
	}
	verb := strings.Join(args[:min(len(args), 1)], "")
	if verb == "key" && len(args) > 1 {
		verb, args = "key "+args[1], args[1:]
	}
	allowed, ok := staffVerbs[verb]
	if !ok {
		return app.usagef("用法：lifeline staff add|list|disable|enable|remove|password|unlock|key add|key list|key remove [参数]（--help 查看参数）",
			"usage: lifeline staff add|list|disable|enable|remove|password|unlock|key add|key list|key remove [flags] (--help for the flags)")
	}
	fs := app.newFlagSet("staff " + verb)
	user := fs.String("user", "", app.T("用户名", "user name"))
	community := fs.String("community", "", app.T("add：所属社区；工作人员只能看到本社区的居民", "add: community; a worker sees only its residents"))
	admin := fs.Bool("admin", false, app.T("add：管理员，可以看到所有社区", "add: administrator, sees every community"))
	fromStdin := fs.Bool("password-stdin", false, app.T("add、password：从标准输入的第一行读取密码（用于脚本）", "add, password: read the password from the first line of standard input (for scripts)"))
	key := fs.String("key", "", app.T("key add：公钥（ssh-ed25519 AAAA…），或公钥文件（如 id_ed25519.pub）", "key add: the public key (ssh-ed25519 AAAA…), or a file holding it (such as id_ed25519.pub)"))
	fingerprint := fs.String("fingerprint", "", app.T("key remove：公钥指纹（SHA256:…，见 staff key list）", "key remove: the key's fingerprint (SHA256:…, see staff key list)"))
	if err := app.parse(fs, args[1:]); err != nil {
		return err
	}
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		if !strings.Contains(" user "+allowed+" ", " "+f.Name+" ") {
			bad = append(bad, "--"+f.Name)
		}
	})
	if len(bad) > 0 {
		return app.usagef("staff %s 不用 %s", "staff %s takes no %s", verb, strings.Join(bad, " "))
	}
	if verb != "list" && strings.TrimSpace(*user) == "" {
		return app.usagef("请用 --user 指定用户名", "give the user name with --user")
	}
	if verb == "add" && *community == "" && !*admin {
		return app.usagef("工作人员需要 --community（或用 --admin 创建管理员）", "a worker needs --community (or use --admin for an administrator)")
	}
	change := auth.StaffChange{Verb: verb, User: *user, Community: *community, Admin: *admin, Fingerprint: *fingerprint}
	var err error
	if verb == "add" || verb == "password" {
		change.Hash, err = newPasswordHash(app, *fromStdin)
	} else if verb == "key add" {
		change.Keys, err = sshd.ReadKeys(*key, *user)
	}
	if err != nil {
		return err
	}
	app.creates = verb == "add" // the first administrator comes before anything else
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	return change.Run(lifeline.WithActor(ctx, auth.CommandLineActor("")), db, app.Stdout, app.Lang)
}

// newPasswordHash reads a new password (auth.ReadNewPassword) and hashes
// it; a password that could not be read is a mistake in the command line.
func newPasswordHash(app *App, fromStdin bool) (string, error) {
	password, err := auth.ReadNewPassword(app.Stdin, app.Stderr, fromStdin, app.Lang)
	if err != nil && lifeline.ErrorCode(err) == lifeline.EINVALID {
		err = app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	if err != nil {
		return "", err
	}
	return auth.HashPassword(password)
}
