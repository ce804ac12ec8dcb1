package sshd

import (
	"bufio"
	"crypto/rsa"
	"fmt"
	"io"
	"os"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	gossh "golang.org/x/crypto/ssh"
)

// minRSABits is the smallest RSA key accepted: OpenSSH refuses shorter
// ones too.
const minRSABits = 2048

// maxKeyLine bounds one line of a key file: the longest public keys
// (RSA 16384) are a few kilobytes.
const maxKeyLine = 16 << 10

// ParseKeys reads SSH public keys as ssh-keygen writes them (id_ed25519.pub)
// or as an authorized_keys file lists them, one a line; blank lines and
// lines starting with # are skipped. Options before a key (from="…",
// command="…") are refused rather than silently dropped, as are
// certificates, DSA keys and RSA keys under 2048 bits. Each problem is
// reported as source:line: reason. The keys are returned for user, with
// their fingerprint and a printable comment.
func ParseKeys(r io.Reader, source, user string) ([]lifeline.StaffKey, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxKeyLine)
	var out []lifeline.StaffKey
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := parseKey(line, user)
		if err != nil {
			return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
				fmt.Sprintf("%s:%d: %s", source, n, lifeline.ErrorMessage(err, lifeline.Zh)),
				fmt.Sprintf("%s:%d: %s", source, n, lifeline.ErrorMessage(err, lifeline.En))))
		}
		out = append(out, k)
	}
	if err := sc.Err(); err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(source+"：无法读取公钥（行太长？）", source+": cannot read the keys (a line too long?)"))
	}
	if len(out) == 0 {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T(source+"：没有公钥", source+": no public key in it"))
	}
	return out, nil
}

func parseKey(line, user string) (lifeline.StaffKey, error) {
	pub, comment, options, _, err := gossh.ParseAuthorizedKey([]byte(line))
	if err != nil {
		return lifeline.StaffKey{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("不是 SSH 公钥（应形如 ssh-ed25519 AAAA… 说明）", "not an SSH public key (it should read like ssh-ed25519 AAAA… comment)"))
	}
	if len(options) > 0 {
		return lifeline.StaffKey{}, lifeline.Errorf(lifeline.EINVALID, lifeline.T("不支持公钥前的选项（"+lifeline.Printable(strings.Join(options, ","))+"）", "options before a key are not supported ("+lifeline.Printable(strings.Join(options, ","))+")"))
	}
	if err := checkKeyType(pub); err != nil {
		return lifeline.StaffKey{}, err
	}
	if len(comment) > 100 {
		comment = comment[:100]
	}
	return lifeline.StaffKey{
		User:        user,
		Fingerprint: gossh.FingerprintSHA256(pub),
		PublicKey:   strings.TrimSpace(string(gossh.MarshalAuthorizedKey(pub))),
		Comment:     lifeline.Printable(strings.ToValidUTF8(comment, "?")),
	}, nil
}

// checkKeyType refuses keys too weak, or of a kind a staff account does
// not log in with.
func checkKeyType(pub gossh.PublicKey) error {
	switch pub.Type() {
	case gossh.KeyAlgoED25519, gossh.KeyAlgoSKED25519, gossh.KeyAlgoECDSA256, gossh.KeyAlgoECDSA384, gossh.KeyAlgoECDSA521, gossh.KeyAlgoSKECDSA256:
		return nil
	case gossh.KeyAlgoRSA:
		ck, ok := pub.(gossh.CryptoPublicKey)
		if !ok {
			break
		}
		if k, ok := ck.CryptoPublicKey().(*rsa.PublicKey); ok && k.N.BitLen() >= minRSABits {
			return nil
		}
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(fmt.Sprintf("RSA 公钥至少需要 %d 位", minRSABits), fmt.Sprintf("an RSA key needs at least %d bits", minRSABits)))
	}
	return lifeline.Errorf(lifeline.EINVALID, lifeline.T("不支持这种公钥（"+pub.Type()+"）：请用 ssh-keygen -t ed25519 生成", "this kind of key is not supported ("+pub.Type()+"): make one with ssh-keygen -t ed25519"))
}

// ReadKeys reads the keys given on a command line: a key itself
// ("ssh-ed25519 AAAA… comment"), or the name of a file of keys
// (id_ed25519.pub, an authorized_keys file).
func ReadKeys(arg, user string) ([]lifeline.StaffKey, error) {
	if strings.TrimSpace(arg) == "" {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("请用 --key 给出公钥或公钥文件", "give the public key, or its file, with --key"))
	}
	if f, err := os.Open(arg); err == nil {
		defer f.Close()
		return ParseKeys(f, arg, user)
	}
	return ParseKeys(strings.NewReader(arg), "--key", user)
}
