package auth

import (
	"bufio"
	"fmt"
	"io"
	"os"
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
