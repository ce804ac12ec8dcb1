package code

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/outfile"
)

// RootKey is the trust anchor: the Ed25519 key that signs the trust list
// and the revocation lists. Checkpoints pin its public half once; it never
// signs a code and never appears in a trust list, so a leaked code-signing
// key cannot vouch for itself or for another key.
type RootKey struct {
	ID      KeyID
	Private ed25519.PrivateKey
	Created time.Time
	Path    string
}

// rootKind marks a root key file, so no loader mistakes it for a
// code-signing key (which would put the root into the trust list).
const rootKind = "lifeline-root"

// rootFile is a root key's file: JSON, mode 0600.
type rootFile struct {
	Kind    string    `json:"kind"`
	KID     string    `json:"kid"`
	Seed    string    `json:"ed25519_seed"`
	Created time.Time `json:"created"`
}

// Pin returns the root's public half, what checkpoints pin.
func (k *RootKey) Pin() RootPin {
	return RootPin{ID: k.ID, Public: k.Private.Public().(ed25519.PublicKey)}
}

// DefaultRootKeyPath is where the root key lives: $LIFELINE_ROOT_KEY,
// else root/root.key beside the SQLite file (a directory of its own,
// apart from the signing keys), else (PostgreSQL) ./root/root.key. A
// deployment that can keeps it on a machine or medium that is offline
// except when lists are signed.
func DefaultRootKeyPath(dbPath string) string {
	if p := os.Getenv("LIFELINE_ROOT_KEY"); p != "" {
		return p
	}
	if strings.HasPrefix(dbPath, "postgres://") || strings.HasPrefix(dbPath, "postgresql://") || dbPath == "" {
		return filepath.Join("root", "root.key")
	}
	return filepath.Join(filepath.Dir(dbPath), "root", "root.key")
}

// GenerateRootKey creates a root key and writes it to path (mode 0600, its
// directory 0700). It never overwrites a file: replacing a root is a
// rotation (docs/offline-code.md), not an accident.
func GenerateRootKey(path string, now time.Time) (*RootKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate root key: %w", err)
	}
	k := &RootKey{Private: priv, Created: now.UTC().Truncate(time.Second), Path: path}
	k.ID = KeyIDOf(k.Pin().Public)
	b, err := json.MarshalIndent(rootFile{Kind: rootKind, KID: k.ID.String(), Seed: base64.RawURLEncoding.EncodeToString(priv.Seed()), Created: k.Created}, "", "  ")
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, keyDirError(dir, err)
	}
	// Written whole and linked into place only if nothing is there (see
	// outfile): a crash never leaves half a root key, none is replaced.
	f, err := outfile.CreateNew(path, 0o600)
	if err == nil {
		f.Write(append(b, '\n'))
		err = f.Commit()
	}
	if lifeline.ErrorCode(err) == lifeline.ECONFLICT {
		return nil, lifeline.Wrapf(lifeline.ECONFLICT, err, lifeline.T("根密钥 "+path+" 已存在；更换根密钥请按 docs/offline-code.md 的轮换步骤进行", "the root key "+path+" already exists; to replace it, follow the rotation in docs/offline-code.md"))
	}
	if err != nil {
		return nil, keyDirError(dir, err)
	}
	return k, nil
}

// LoadRootKey reads a root key file, refusing one that group or others
// may read: whoever reads it can sign a trust list with keys of their own.
func LoadRootKey(path string) (*RootKey, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T("没有根密钥 "+path+"。请运行 lifeline keys root new 创建一个。", "no root key at "+path+". Run lifeline keys root new to create one."))
	}
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取根密钥 "+path, "cannot read the root key "+path))
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T(
			fmt.Sprintf("根密钥 %s 的权限 %04o 过宽，其他人可以读取。请运行 chmod 600 %s 后重试。", path, st.Mode().Perm(), path),
			fmt.Sprintf("root key %s has permissions %04o: others can read it. Run chmod 600 %s and try again.", path, st.Mode().Perm(), path)))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取根密钥 "+path, "cannot read the root key "+path))
	}
	bad := func(cause error) error {
		return lifeline.Wrapf(lifeline.EINVALID, cause, lifeline.T("根密钥文件 "+path+" 已损坏", "root key file "+path+" is damaged"))
	}
	var f rootFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, bad(err)
	}
	if f.Kind != rootKind {
		return nil, bad(fmt.Errorf("kind %q is not %q: a signing key is not a root key", f.Kind, rootKind))
	}
	seed, err := base64.RawURLEncoding.DecodeString(f.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, bad(fmt.Errorf("seed: %v", err))
	}
	k := &RootKey{Private: ed25519.NewKeyFromSeed(seed), Created: f.Created, Path: path}
	k.ID = KeyIDOf(k.Pin().Public)
	if k.ID.String() != f.KID {
		return nil, bad(fmt.Errorf("kid %s does not match the key (%s)", f.KID, k.ID))
	}
	return k, nil
}

// RootPin is a root's public key as a checkpoint pins it.
type RootPin struct {
	ID     KeyID
	Public ed25519.PublicKey
}

// PinPrefix starts a root pin's text form, which is also what its QR code
// holds: "LLR1:" and the 32-byte key in base32, 57 characters that are all
// in QR's alphanumeric set.
const PinPrefix = "LLR1:"

// RootPinOf returns the pin of an Ed25519 public key.
func RootPinOf(pub ed25519.PublicKey) RootPin { return RootPin{ID: KeyIDOf(pub), Public: pub} }

// String returns the pin's text form: "LLR1:" and the key in base32.
func (p RootPin) String() string { return PinPrefix + serialEncoding.EncodeToString(p.Public) }

// Fingerprint returns what people compare when they pin a root: the first
// 120 bits of SHA-256 of the key in base32, in six groups of four
// (ABCD-EFGH-…). Finding another key with the same fingerprint takes
// about 2^120 tries.
func (p RootPin) Fingerprint() string {
	sum := sha256.Sum256(p.Public)
	s := serialEncoding.EncodeToString(sum[:15])
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+4])
	}
	return b.String()
}

// ParseRootPin reads a pin's text form, as typed or as a scanner delivers
// it from the QR code: case, spaces at the ends and a %-escaped colon are
// forgiven.
func ParseRootPin(s string) (RootPin, error) {
	s = strings.ToUpper(strings.Trim(s, " \t\r\n\x00"))
	s = strings.Replace(s, "%3A", ":", 1)
	bad := lifeline.Errorf(lifeline.EINVALID, lifeline.T("根公钥无效：应为 LLR1: 开头的 57 个字符", "not a root key: a root key is 57 characters starting LLR1:"))
	if !strings.HasPrefix(s, PinPrefix) {
		return RootPin{}, bad
	}
	b, err := serialEncoding.DecodeString(s[len(PinPrefix):])
	if err != nil || len(b) != ed25519.PublicKeySize {
		return RootPin{}, bad
	}
	return RootPinOf(ed25519.PublicKey(b)), nil
}

// Roots are the roots a checkpoint trusts: usually one, two while a root
// is being replaced.
type Roots []RootPin

// byID returns the roots with a key id; a kid can be shared.
func (rs Roots) byID(id KeyID) []RootPin {
	var out []RootPin
	for _, r := range rs {
		if r.ID == id {
			out = append(out, r)
		}
	}
	return out
}

// has reports whether a public key is one of the roots.
func (rs Roots) has(pub ed25519.PublicKey) bool {
	for _, r := range rs {
		if r.Public.Equal(pub) {
			return true
		}
	}
	return false
}

// maxRootFile bounds what is read of a root file: a handful of lines.
const maxRootFile = 64 << 10

// WriteRoots writes a root file: per root, a comment with its fingerprint
// and the pin itself on a line of its own.
func WriteRoots(w io.Writer, rs Roots, created time.Time) error {
	var b bytes.Buffer
	for _, r := range rs {
		fmt.Fprintf(&b, "# lifeline root key %s, fingerprint %s", r.ID, r.Fingerprint())
		if !created.IsZero() {
			fmt.Fprintf(&b, ", exported %s", created.UTC().Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "\n%s\n", r)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// ReadRoots reads a root file (root.pub): one pin per line; blank lines
// and lines starting with # are ignored. At least one root is required.
func ReadRoots(r io.Reader) (Roots, error) {
	sc := bufio.NewScanner(io.LimitReader(r, maxRootFile))
	var rs Roots
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		p, err := ParseRootPin(s)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if !rs.has(p.Public) {
			rs = append(rs, p)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, errors.New("no root key in the file")
	}
	return rs, nil
}

// LoadRoots reads the pinned roots: a root file, or a pin given as text
// (what a scanner types from the QR code).
func LoadRoots(pathOrPin string) (Roots, error) {
	if strings.HasPrefix(strings.ToUpper(strings.TrimSpace(pathOrPin)), PinPrefix) {
		p, err := ParseRootPin(pathOrPin)
		if err != nil {
			return nil, err
		}
		return Roots{p}, nil
	}
	f, err := os.Open(pathOrPin)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T("无法打开根公钥文件 "+pathOrPin, "cannot open the root key file "+pathOrPin))
	}
	defer f.Close()
	rs, err := ReadRoots(f)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("根公钥文件 "+pathOrPin+" 格式错误", "the root key file "+pathOrPin+" is malformed"))
	}
	return rs, nil
}

// PinFile returns the root file (root.pub) of this root: a comment with
// its fingerprint, and its pin.
func (k *RootKey) PinFile(now time.Time) []byte {
	var b bytes.Buffer
	WriteRoots(&b, Roots{k.Pin()}, now)
	return b.Bytes()
}

// Describe says what a person must know of the root key: when made, where
// it is and how to keep it; when exported, what to compare before pinning.
func (k *RootKey) Describe(created bool) lifeline.Text {
	p := k.Pin()
	if created {
		return lifeline.T(
			fmt.Sprintf("已创建根密钥 %s，指纹 %s\n文件：%s（权限 600，只用于签名列表，切勿外传）", k.ID, p.Fingerprint(), k.Path),
			fmt.Sprintf("created root key %s, fingerprint %s\nfile: %s (mode 600; it signs lists only; never share it)", k.ID, p.Fingerprint(), k.Path))
	}
	return lifeline.T(
		fmt.Sprintf("根公钥 %s，指纹 %s\n%s\n固定前请与通过其他渠道公布的指纹核对。", k.ID, p.Fingerprint(), p),
		fmt.Sprintf("root key %s, fingerprint %s\n%s\ncompare the fingerprint with the one published through another channel before pinning.", k.ID, p.Fingerprint(), p))
}
