package code

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/outfile"
)

// DefaultKeyLife is how long a new key signs codes when no end is given.
const DefaultKeyLife = 365 * 24 * time.Hour

// KeyID identifies a public key: the first 8 bytes of SHA-256 of its 32
// raw bytes. It is the COSE kid of every code the key signs.
type KeyID [8]byte

// KeyIDOf returns the key id of an Ed25519 public key.
func KeyIDOf(pub ed25519.PublicKey) KeyID {
	sum := sha256.Sum256(pub)
	var id KeyID
	copy(id[:], sum[:8])
	return id
}

// String returns the id in hex, the form people type and the store keeps.
func (id KeyID) String() string { return hex.EncodeToString(id[:]) }

// JWK returns the id as base64url without padding, the trust list's kid.
func (id KeyID) JWK() string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// ParseKeyID reads a key id in hex (16 characters) or base64url (11).
func ParseKeyID(s string) (KeyID, error) {
	var id KeyID
	s = strings.TrimSpace(s)
	var b []byte
	var err error
	switch len(s) {
	case 16:
		b, err = hex.DecodeString(strings.ToLower(s))
	case 11:
		b, err = base64.RawURLEncoding.DecodeString(s)
	default:
		err = errors.New("wrong length")
	}
	if err != nil || len(b) != 8 {
		return id, lifeline.Errorf(lifeline.EINVALID, lifeline.T("密钥编号“"+s+"”无效：应为 16 位十六进制", "key id \""+s+"\" is not valid: use its 16 hex digits"))
	}
	copy(id[:], b)
	return id, nil
}

// SigningKey is one Ed25519 signing key and the window in which it may
// sign. Several keys may be valid at once, so keys rotate without a gap.
type SigningKey struct {
	ID        KeyID
	Private   ed25519.PrivateKey
	NotBefore time.Time
	NotAfter  time.Time
	Created   time.Time
	Path      string // the file it was read from or written to
}

// KID returns the key id in hex.
func (k *SigningKey) KID() string { return k.ID.String() }

// Public returns the public key.
func (k *SigningKey) Public() ed25519.PublicKey { return k.Private.Public().(ed25519.PublicKey) }

// ValidAt reports whether the key may sign at t.
func (k *SigningKey) ValidAt(t time.Time) bool {
	return !t.Before(k.NotBefore) && !t.After(k.NotAfter)
}

// keyFile is a key's file: JSON, mode 0600, named after its kid.
type keyFile struct {
	Kind      string    `json:"kind,omitempty"` // rootKind marks a root key, refused here
	KID       string    `json:"kid"`
	Seed      string    `json:"ed25519_seed"` // base64url of the 32-byte RFC 8032 seed
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	Created   time.Time `json:"created"`
}

// NewKey creates a key in memory, valid from notBefore (zero: now) to
// notAfter (zero: a year later). GenerateKey also writes it to disk.
func NewKey(notBefore, notAfter time.Time) (*SigningKey, error) {
	now := time.Now().Truncate(time.Second)
	if notBefore.IsZero() {
		notBefore = now
	}
	if notAfter.IsZero() {
		notAfter = notBefore.Add(DefaultKeyLife)
	}
	if !notAfter.After(notBefore) {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("密钥的失效时间必须晚于生效时间", "a key's not-after time must be later than its not-before time"))
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	k := &SigningKey{Private: priv, NotBefore: notBefore.UTC(), NotAfter: notAfter.UTC(), Created: now.UTC()}
	k.ID = KeyIDOf(k.Public())
	return k, nil
}

// GenerateKey creates a key valid from notBefore (zero: now) to notAfter
// (zero: a year later) and writes it to dir with mode 0600.
func GenerateKey(dir string, notBefore, notAfter time.Time) (*SigningKey, error) {
	k, err := NewKey(notBefore, notAfter)
	if err != nil {
		return nil, err
	}
	priv := k.Private
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, keyDirError(dir, err)
	}
	k.Path = filepath.Join(dir, k.KID()+".key")
	b, err := json.MarshalIndent(keyFile{
		KID:       k.KID(),
		Seed:      base64.RawURLEncoding.EncodeToString(priv.Seed()),
		NotBefore: k.NotBefore,
		NotAfter:  k.NotAfter,
		Created:   k.Created,
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	// Written whole under a temporary name and linked into place only if
	// nothing is there: a crash never leaves half a key, and no key is
	// ever replaced.
	f, err := outfile.CreateNew(k.Path, 0o600)
	if err != nil {
		return nil, keyDirError(dir, err)
	}
	f.Write(append(b, '\n'))
	if err := f.Commit(); err != nil {
		return nil, keyDirError(dir, err)
	}
	return k, nil
}

func keyDirError(dir string, err error) error {
	return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法写入密钥目录 "+dir, "cannot write to the key directory "+dir))
}

// LoadSigningKeys reads every *.key file in dir, oldest first. Like ssh,
// it refuses a key file that group or others may read: a signing key that
// leaked lets anyone print valid codes. A missing directory holds no keys.
func LoadSigningKeys(dir string) ([]*SigningKey, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取密钥目录 "+dir, "cannot read the key directory "+dir))
	}
	var keys []*SigningKey
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".key") {
			continue
		}
		k, err := loadKeyFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].NotBefore.Before(keys[j].NotBefore) })
	return keys, nil
}

func loadKeyFile(path string) (*SigningKey, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取密钥文件 "+path, "cannot read the key file "+path))
	}
	if runtime.GOOS != "windows" && st.Mode().Perm()&0o077 != 0 {
		return nil, lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T(
			fmt.Sprintf("密钥文件 %s 的权限 %04o 过宽，其他人可以读取。请运行 chmod 600 %s 后重试。", path, st.Mode().Perm(), path),
			fmt.Sprintf("key file %s has permissions %04o: others can read it. Run chmod 600 %s and try again.", path, st.Mode().Perm(), path)))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取密钥文件 "+path, "cannot read the key file "+path))
	}
	bad := func(cause error) error {
		return lifeline.Wrapf(lifeline.EINVALID, cause, lifeline.T("密钥文件 "+path+" 已损坏", "key file "+path+" is damaged"))
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, bad(err)
	}
	if f.Kind == rootKind {
		return nil, lifeline.Errorf(lifeline.EFORBIDDEN, lifeline.T(
			"根密钥 "+path+" 在签名密钥目录中：请把它移出该目录。根密钥只签名单，绝不能签码或进入信任列表。",
			"the root key "+path+" is in the signing key directory: move it out. A root key signs lists only, never codes, and is never in the trust list."))
	}
	if !f.NotAfter.After(f.NotBefore) {
		return nil, bad(fmt.Errorf("not_after %s is not after not_before %s", f.NotAfter, f.NotBefore))
	}
	seed, err := base64.RawURLEncoding.DecodeString(f.Seed)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, bad(fmt.Errorf("seed: %v", err))
	}
	k := &SigningKey{Private: ed25519.NewKeyFromSeed(seed), NotBefore: f.NotBefore, NotAfter: f.NotAfter, Created: f.Created, Path: path}
	k.ID = KeyIDOf(k.Public())
	if k.KID() != f.KID {
		return nil, bad(fmt.Errorf("kid %s does not match the key (%s)", f.KID, k.KID()))
	}
	return k, nil
}

// ActiveKey returns the key that signs at now: of the keys valid then, the
// one that became valid last, so a new key takes over as soon as it starts.
func ActiveKey(keys []*SigningKey, now time.Time) (*SigningKey, error) {
	var best *SigningKey
	for _, k := range keys {
		if k.ValidAt(now) && (best == nil || k.NotBefore.After(best.NotBefore)) {
			best = k
		}
	}
	if best == nil {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("没有当前有效的签名密钥。请运行 lifeline keys new 创建一个。", "no signing key is valid now. Run lifeline keys new to create one."))
	}
	return best, nil
}

// DefaultKeyDir is where keys live: $LIFELINE_KEYS, else a "keys"
// directory beside the SQLite file, else (PostgreSQL) ./keys.
func DefaultKeyDir(dbPath string) string {
	if d := os.Getenv("LIFELINE_KEYS"); d != "" {
		return d
	}
	if strings.HasPrefix(dbPath, "postgres://") || strings.HasPrefix(dbPath, "postgresql://") || dbPath == "" {
		return "keys"
	}
	return filepath.Join(filepath.Dir(dbPath), "keys")
}
