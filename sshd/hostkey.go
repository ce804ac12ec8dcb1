package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	lifeline "github.com/lifeline-health/lifeline"
	gossh "golang.org/x/crypto/ssh"
)

// HostKeyName is the host key's file name beside a SQLite store.
const HostKeyName = "ssh_host_ed25519_key"

// DefaultHostKeyPath is where the host key of the store at dsn is kept:
// beside a SQLite file, or in the working directory for PostgreSQL (whose
// replicas should all be given one file with --ssh-host-key, so that
// workers see one fingerprint whichever answers).
func DefaultHostKeyPath(dsn string, postgres bool) string {
	if postgres {
		return HostKeyName
	}
	return filepath.Join(filepath.Dir(dsn), HostKeyName)
}

// LoadHostKey reads the Ed25519 host key at path, making it first if there
// is none (mode 0600, never overwriting), and says whether it made it. A key
// file others may read is refused, as a signing key is: whoever reads it
// can pose as this server to every worker.
func LoadHostKey(path string) (gossh.Signer, bool, error) {
	made := false
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if b, err = makeHostKey(path); err != nil {
			return nil, false, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法创建 SSH 主机密钥 "+path, "cannot make the SSH host key "+path))
		}
		made = true
	} else if err != nil {
		return nil, false, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取 SSH 主机密钥 "+path, "cannot read the SSH host key "+path))
	}
	if st, err := os.Stat(path); err == nil && runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, false, lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("SSH 主机密钥 %s 的权限 %04o 过宽，其他人可以读取。请运行 chmod 600 %s 后重试。", path, st.Mode().Perm(), path),
			fmt.Sprintf("the SSH host key %s has permissions %04o: others can read it. Run chmod 600 %s and try again.", path, st.Mode().Perm(), path)))
	}
	signer, err := gossh.ParsePrivateKey(b)
	if err != nil {
		return nil, false, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("SSH 主机密钥 "+path+" 无法解析", "the SSH host key "+path+" cannot be read as a key"))
	}
	return signer, made, nil
}

// makeHostKey writes a new Ed25519 key to path in OpenSSH's format, mode
// 0600, failing if the file exists.
func makeHostKey(path string) ([]byte, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := gossh.MarshalPrivateKey(priv, "lifeline host key")
	if err != nil {
		return nil, err
	}
	b := pem.EncodeToMemory(block)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, err
	}
	return b, f.Close()
}
