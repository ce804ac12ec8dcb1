package auth

import (
	"context"
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
