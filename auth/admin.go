package auth

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/mattn/go-runewidth"
)

// StaffChange is one thing an administrator does with staff accounts
// (lifeline staff …): Verb is add, list, password, disable, enable,
// remove, unlock, "key add", "key list" or "key remove".
type StaffChange struct {
	Verb        string
	User        string
	Community   string // add
	Admin       bool   // add
	Hash        string // add, password: HashPassword's
	Keys        []lifeline.StaffKey
	Fingerprint string // key remove
}

// Run does it, audited as the actor in ctx, and writes to w in l what was
// done, or the list asked for.
func (c StaffChange) Run(ctx context.Context, accounts lifeline.StaffService, w io.Writer, l lifeline.Lang) error {
	switch c.Verb {
	case "list":
		list, err := accounts.StaffList(ctx)
		if err != nil {
			return err
		}
		return WriteStaffList(w, list, l)
	case "key list":
		keys, err := accounts.StaffKeys(ctx, c.User)
		for _, k := range keys {
			fmt.Fprintf(w, "%s  %s  %s\n", k.Fingerprint, k.AddedAt.In(lifeline.ChinaTime).Format("2006-01-02"), k.Comment)
		}
		return err
	}
	said, err := c.apply(ctx, accounts)
	if err == nil {
		fmt.Fprintln(w, strings.TrimRight(said.In(l), "\n"))
	}
	return err
}

// apply makes a change and returns the sentence that says what was done.
func (c StaffChange) apply(ctx context.Context, accounts lifeline.StaffService) (lifeline.Text, error) {
	u := c.User
	switch c.Verb {
	case "add":
		s := &lifeline.Staff{User: u, Community: c.Community, Role: lifeline.RoleStaff, PasswordHash: c.Hash}
		if c.Admin {
			s.Role = lifeline.RoleAdmin
		}
		if err := accounts.CreateStaff(ctx, s); err != nil {
			return lifeline.Text{}, err
		}
		if c.Admin {
			return lifeline.T("已添加管理员 "+s.User+"（可查看所有社区）。", "added administrator "+s.User+" (sees every community)."), nil
		}
		c := lifeline.Printable(s.Community)
		return lifeline.T("已添加工作人员 "+s.User+"（"+c+"）。", "added staff "+s.User+" ("+c+")."), nil
	case "password":
		return lifeline.T("已重设 "+u+" 的密码，并解除了锁定。", "reset the password of "+u+" and lifted its locks."), accounts.SetStaffPassword(ctx, u, c.Hash)
	case "disable":
		return lifeline.T("已停用 "+u+"：任何地方都不能再登录。", "disabled "+u+": it cannot log in anywhere."), accounts.SetStaffDisabled(ctx, u, true)
	case "enable":
		return lifeline.T("已启用 "+u+"。", "enabled "+u+"."), accounts.SetStaffDisabled(ctx, u, false)
	case "remove":
		return lifeline.T("已删除 "+u+"：密码和公钥已删除，用户名留在审计记录中，不会再分配。",
			"removed "+u+": its password and keys are gone; the name stays in the audit trail and is never given out again."), accounts.RemoveStaff(ctx, u)
	case "unlock":
		n, err := accounts.UnlockStaff(ctx, u)
		return lifeline.T(fmt.Sprintf("已解锁 %s（%d 处锁定）。", u, n), fmt.Sprintf("unlocked %s (locked at %d places).", u, n)), err
	case "key remove":
		return lifeline.T("已删除 "+u+" 的公钥 "+c.Fingerprint+"。", "removed the key "+c.Fingerprint+" of "+u+"."), accounts.RemoveStaffKey(ctx, u, c.Fingerprint)
	case "key add":
		var said lifeline.Text
		for i := range c.Keys {
			if err := accounts.AddStaffKey(ctx, &c.Keys[i]); err != nil {
				return said, err
			}
			k := c.Keys[i].Fingerprint + " " + c.Keys[i].Comment
			said = lifeline.T(said.Zh+"已为 "+u+" 添加公钥 "+k+"\n", said.En+"added a key for "+u+": "+k+"\n")
		}
		return said, nil
	}
	return lifeline.Text{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("未知的账号操作“"+c.Verb+"”", "unknown account change \""+c.Verb+"\""))
}

// WriteStaffList writes every account, removed ones too, as a table in l,
// its columns aligned by display width (a Chinese character takes two).
func WriteStaffList(w io.Writer, list []lifeline.Staff, l lifeline.Lang) error {
	rows := [][]string{strings.Split(l.Pick("用户名 角色 社区 状态 公钥 锁定处 创建于", "USER ROLE COMMUNITY STATE KEYS LOCKED-AT CREATED"), " ")}
	for _, s := range list {
		rows = append(rows, []string{lifeline.Printable(s.User), string(s.Role), lifeline.Printable(s.Community), s.State().In(l),
			fmt.Sprint(s.Keys), fmt.Sprint(s.LockedPlaces), s.CreatedAt.In(lifeline.ChinaTime).Format("2006-01-02")})
	}
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], runewidth.StringWidth(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(runewidth.FillRight(c, width[i]+2))
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// staffVerbs are lifeline staff's subcommands, with the flags each takes
// beside --user.
var staffVerbs = map[string]string{
	"add": "community admin password-stdin", "list": "", "password": "password-stdin",
	"disable": "", "enable": "", "remove": "", "unlock": "",
	"key add": "key", "key list": "", "key remove": "fingerprint",
}

// StaffFlags are lifeline staff's flags.
type StaffFlags struct {
	User, Community, Key, Fingerprint *string
	Admin, PasswordStdin              *bool
}

// AddStaffFlags adds lifeline staff's flags to fs, described in l.
func AddStaffFlags(fs *flag.FlagSet, l lifeline.Lang) StaffFlags {
	return StaffFlags{
		User:          fs.String("user", "", l.Pick("用户名", "user name")),
		Community:     fs.String("community", "", l.Pick("add：所属社区；工作人员只能看到本社区的居民", "add: community; a worker sees only its residents")),
		Admin:         fs.Bool("admin", false, l.Pick("add：管理员，可以看到所有社区", "add: administrator, sees every community")),
		PasswordStdin: fs.Bool("password-stdin", false, l.Pick("add、password：从标准输入的第一行读取密码（用于脚本）", "add, password: read the password from the first line of standard input (for scripts)")),
		Key:           fs.String("key", "", l.Pick("key add：公钥（ssh-ed25519 AAAA…），或公钥文件（如 id_ed25519.pub）", "key add: the public key (ssh-ed25519 AAAA…), or a file holding it (such as id_ed25519.pub)")),
		Fingerprint:   fs.String("fingerprint", "", l.Pick("key remove：公钥指纹（SHA256:…，见 staff key list）", "key remove: the key's fingerprint (SHA256:…, see staff key list)")),
	}
}

// Change returns the change the parsed flags ask for with verb ("add",
// "key add", …), or EINVALID saying what the command line gets wrong: an
// unknown verb, a flag the verb does not take, no --user, a worker without
// a community. The password's hash and the keys are the caller's to read.
func (f StaffFlags) Change(fs *flag.FlagSet, verb string) (StaffChange, error) {
	allowed, ok := staffVerbs[verb]
	if !ok {
		return StaffChange{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			"用法：lifeline staff add|list|disable|enable|remove|password|unlock|key add|key list|key remove [参数]（--help 查看参数）",
			"usage: lifeline staff add|list|disable|enable|remove|password|unlock|key add|key list|key remove [flags] (--help for the flags)"))
	}
	var bad []string
	fs.Visit(func(fl *flag.Flag) {
		if !strings.Contains(" user "+allowed+" ", " "+fl.Name+" ") {
			bad = append(bad, "--"+fl.Name)
		}
	})
	switch {
	case len(bad) > 0:
		return StaffChange{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("staff "+verb+" 不用 "+strings.Join(bad, " "), "staff "+verb+" takes no "+strings.Join(bad, " ")))
	case verb != "list" && strings.TrimSpace(*f.User) == "":
		return StaffChange{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("请用 --user 指定用户名", "give the user name with --user"))
	case verb == "add" && *f.Community == "" && !*f.Admin:
		return StaffChange{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("工作人员需要 --community（或用 --admin 创建管理员）", "a worker needs --community (or use --admin for an administrator)"))
	}
	return StaffChange{Verb: verb, User: *f.User, Community: *f.Community, Admin: *f.Admin, Fingerprint: *f.Fingerprint}, nil
}
