package auth

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"golang.org/x/term"
)

// ReadNewPassword reads a new password from in: its first line when
// fromLine is set (a script pipes it in), otherwise twice from the
// terminal in is, without echo, prompting on out in l. Input that gives
// no password (no line, no terminal, two different entries) is EINVALID.
func ReadNewPassword(in io.Reader, out io.Writer, fromLine bool, l lifeline.Lang) (string, error) {
	if fromLine {
		line, err := bufio.NewReader(in).ReadString('\n')
		line = strings.TrimRight(line, "\r\n")
		if line == "" && err != nil {
			return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("标准输入中没有密码", "no password on standard input"))
		}
		return line, nil
	}
	f, ok := in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("标准输入不是终端：请用 --password-stdin 从标准输入读取密码", "standard input is not a terminal: use --password-stdin to read the password from it"))
	}
	var entered [2]string
	for i, prompt := range []string{l.Pick("新密码：", "New password: "), l.Pick("再输入一次：", "Again: ")} {
		fmt.Fprint(out, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(out)
		if err != nil {
			return "", err
		}
		entered[i] = string(b)
	}
	if entered[0] != entered[1] {
		return "", lifeline.Errorf(lifeline.EINVALID, lifeline.T("两次输入的密码不一致", "the two passwords differ"))
	}
	return entered[0], nil
}

// CommandLineActor is who a command typed at the server acts as:
// "cli:" and the operating system's account running it (looked up by
// the process's user id, not $USER, which anyone can set), at the place
// "cli", or "cli sudo from NAME" when root runs it through sudo. note is
// what the command was told of who is acting (--by): kept beside the
// actor in the audit log, never as it, since nothing checks it.
func CommandLineActor(note string) lifeline.Actor {
	name := fmt.Sprintf("uid %d", os.Getuid())
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	place := "cli"
	if via := os.Getenv("SUDO_USER"); via != "" && os.Geteuid() == 0 {
		place += " sudo from " + lifeline.Printable(via)
	}
	return lifeline.Actor{User: "cli:" + name, Place: place, Note: strings.TrimSpace(note)}
}
