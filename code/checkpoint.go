package code

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/fxamacker/cbor/v2"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/outfile"
)

// Checkpoint is what an offline checkpoint trusts: the roots it pinned and
// the newest trust list and revocation list it accepted under them. They
// are kept in a directory of the checkpoint's own, so a list older than one
// it has seen is refused after a restart too, and a checkpoint that is
// handed no list keeps checking against the last ones it proved.
//
// The directory holds root.pub (the roots pinned), trust.cose (the trust
// list as received) and revocations.held (the revocation list with every
// delta applied, the payload format of a full list plus the signing root's
// kid). Whoever can write it can re-pin or roll the checkpoint back.
type Checkpoint struct {
	Dir   string
	Roots Roots

	trust   *SignedList
	revInfo ListInfo
	revoked *RevocationList
	// floors are the versions held when lists were set aside at open, so
	// a re-pinned root does not reopen the door to older lists.
	trustFloor, revFloor uint64
	// Dropped says why held lists were set aside at open: signed by a root
	// no longer pinned (after a rotation).
	Dropped []string
}

const (
	pinnedRootsFile     = "root.pub"
	heldTrustFile       = "trust.cose"
	heldRevocationsFile = "revocations.held"
)

// heldRevocations is revocations.held: a full list's payload with the
// checkpoint's merged state, and the kid of the root that signed the last
// list applied to it.
type heldRevocations struct {
	wireRevocations
	Root []byte `cbor:"10,keyasint"`
}

// PinnedRoots returns the roots pinned in a checkpoint directory;
// ENOTFOUND if none is.
func PinnedRoots(dir string) (Roots, error) {
	b, err := readHeld(dir, pinnedRootsFile)
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T(
			"检查点还没有固定根公钥：请用 --root root.pub（或扫描根公钥二维码得到的 LLR1: 文本）固定一次",
			"this checkpoint has no root pinned: pin one once with --root root.pub (or the LLR1: text scanned from its QR code)"))
	}
	rs, err := ReadRoots(bytes.NewReader(b))
	if err != nil {
		path := filepath.Join(dir, pinnedRootsFile)
		return nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("检查点文件 "+path+" 已损坏：请重新固定根公钥", "the checkpoint file "+path+" is damaged: pin the root again"))
	}
	return rs, nil
}

// OpenCheckpoint opens (creating it, mode 0700) a checkpoint directory and
// reads the lists it holds. Roots given are pinned: kept in the directory
// (root.pub), replacing any pinned before, so later opens need none; with
// none given, the roots pinned before are used. A held list that fails its
// signature under the roots is set aside and said so in Dropped; one that
// is damaged is an error, so nobody mistakes a broken disk for an empty
// state.
func OpenCheckpoint(dir string, roots Roots) (*Checkpoint, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法创建检查点目录 "+dir, "cannot create the checkpoint directory "+dir))
	}
	if len(roots) == 0 {
		var err error
		if roots, err = PinnedRoots(dir); err != nil {
			return nil, err
		}
	} else {
		var b bytes.Buffer
		if err := WriteRoots(&b, roots, time.Time{}); err != nil {
			return nil, err
		}
		if held, _ := readHeld(dir, pinnedRootsFile); !bytes.Equal(held, b.Bytes()) {
			if err := writeHeld(dir, pinnedRootsFile, b.Bytes()); err != nil {
				return nil, err
			}
		}
	}
	c := &Checkpoint{Dir: dir, Roots: roots}
	damaged := func(name string, err error) error {
		path := filepath.Join(dir, name)
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("检查点文件 "+path+" 已损坏：请删除它并重新导入列表", "the checkpoint file "+path+" is damaged: delete it and load the lists again"))
	}
	if b, err := readHeld(dir, heldTrustFile); err != nil {
		return nil, err
	} else if b != nil {
		l, err := OpenList(b, roots)
		switch {
		case errors.Is(err, ErrListSigner):
			// Still a list we accepted once: its version stays a floor.
			if v, ok := envelopeVersion(b); ok {
				c.trustFloor = v
			}
			c.Dropped = append(c.Dropped, "trust list: "+err.Error())
		case err != nil:
			return nil, damaged(heldTrustFile, err)
		case l.Kind != TrustListKind:
			return nil, damaged(heldTrustFile, fmt.Errorf("holds a %s", l.Kind))
		default:
			c.trust = l
		}
	}
	if b, err := readHeld(dir, heldRevocationsFile); err != nil {
		return nil, err
	} else if b != nil {
		var h heldRevocations
		if err := listDecMode.Unmarshal(b, &h); err != nil {
			return nil, damaged(heldRevocationsFile, err)
		}
		var root KeyID
		if len(h.Root) != len(root) {
			return nil, damaged(heldRevocationsFile, errors.New("no root kid"))
		}
		copy(root[:], h.Root)
		info, err := h.info(RevocationListKind, root)
		if err != nil {
			return nil, damaged(heldRevocationsFile, err)
		}
		l, err := h.list()
		if err != nil {
			return nil, damaged(heldRevocationsFile, err)
		}
		if len(roots.byID(root)) == 0 {
			c.revFloor = info.Version
			c.Dropped = append(c.Dropped, fmt.Sprintf("revocation list: signed by %s, no longer pinned", root))
		} else {
			c.revInfo, c.revoked = info, l
		}
	}
	return c, nil
}

func readHeld(dir, name string) ([]byte, error) {
	path := filepath.Join(dir, name)
	b, err := readLimited(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取检查点文件 "+path, "cannot read the checkpoint file "+path))
	}
	return b, nil
}

// envelopeVersion reads a list's version without checking its signature:
// only to keep a floor for a list the checkpoint accepted before.
func envelopeVersion(data []byte) (uint64, bool) {
	var parts struct {
		_           struct{} `cbor:",toarray"`
		Protected   []byte
		Unprotected map[any]any
		Payload     []byte
		Signature   []byte
	}
	if len(data) < 1 || data[0] != 0xd2 || decMode.Unmarshal(data[1:], &parts) != nil {
		return 0, false
	}
	var h struct {
		Version uint64 `cbor:"1,keyasint"`
	}
	if cbor.Unmarshal(parts.Payload, &h) != nil {
		return 0, false
	}
	return h.Version, true
}

// readLimited reads a file of at most maxListFile bytes.
func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxListFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxListFile {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrListMalformed, maxListFile)
	}
	return b, nil
}

// ListFile is a signed list as a checkpoint receives it.
type ListFile struct {
	Name string // for messages: the file's path
	Data []byte
}

// ReadListFile reads a signed list file, refusing one too big to be a list.
func ReadListFile(path string) (ListFile, error) {
	b, err := readLimited(path)
	if errors.Is(err, ErrListMalformed) {
		return ListFile{}, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("列表文件 "+path+" 过大，不是本系统的列表", "the list file "+path+" is too big to be a lifeline list"))
	}
	if err != nil {
		return ListFile{}, lifeline.Wrapf(lifeline.ENOTFOUND, err, lifeline.T("无法读取列表文件 "+path, "cannot read the list file "+path))
	}
	return ListFile{Name: path, Data: b}, nil
}

// Trust returns the held trust list's info.
func (c *Checkpoint) Trust() (ListInfo, bool) {
	if c.trust == nil {
		return ListInfo{}, false
	}
	return c.trust.ListInfo, true
}

// Revocations returns the held revocation list's info: the version and
// times of the last full list or delta applied.
func (c *Checkpoint) Revocations() (ListInfo, bool) { return c.revInfo, c.revoked != nil }

// Update is what Checkpoint.Update changed.
type Update struct {
	Trust       bool // a newer trust list was taken
	Revocations bool // a newer revocation list or delta was taken
	// Applied are the deltas applied, in order; Skipped are lists older
	// than what is held that were skipped (deltas already applied, a
	// re-sent list of the same version).
	Applied, Skipped []string
}

// Update checks lists handed to the checkpoint and takes those that are
// newer than what it holds: every list must be signed by a pinned root;
// a trust or full revocation list older than the one held is refused
// (ErrListRollback); deltas are applied in order from the version held,
// after the newest full list given, and one that cannot be reached from
// there is refused (ErrListGap: load a full list). Either every list is
// taken or, on any error, none is and nothing changes.
func (c *Checkpoint) Update(files []ListFile) (Update, error) {
	var up Update
	trusts, fulls, deltas, err := c.open(files)
	if err != nil {
		return up, err
	}
	trust, trustRaw, err := c.newestTrust(trusts, &up)
	if err != nil {
		return Update{}, err
	}
	revInfo, revoked, err := c.newestRevocations(fulls, deltas, &up)
	if err != nil {
		return Update{}, err
	}
	up.Trust = trust != c.trust
	up.Revocations = revoked != c.revoked || revInfo != c.revInfo
	if up.Trust {
		if err := writeHeld(c.Dir, heldTrustFile, trustRaw); err != nil {
			return Update{}, err
		}
		c.trust = trust
	}
	if up.Revocations {
		h := heldRevocations{wireRevocations: revoked.wire(revInfo), Root: revInfo.Root[:]}
		b, err := encMode.Marshal(h)
		if err != nil {
			return Update{}, err
		}
		if err := writeHeld(c.Dir, heldRevocationsFile, b); err != nil {
			return Update{}, err
		}
		c.revInfo, c.revoked = revInfo, revoked
	}
	return up, nil
}

// handed is a list handed to the checkpoint, its signature checked.
type handed struct {
	f ListFile
	l *SignedList
}

// refuse says, in words for the person who handed it over, why a list is
// not taken.
func refuse(f ListFile, code string, err error, zh, en string) error {
	return lifeline.Wrapf(code, err, lifeline.T("列表 "+f.Name+" 被拒绝："+zh, "list "+f.Name+" refused: "+en))
}

// open checks every list handed over and sorts them by kind; the first
// that is not signed by a pinned root, or not well formed, refuses them
// all.
func (c *Checkpoint) open(files []ListFile) (trusts, fulls, deltas []handed, err error) {
	for _, f := range files {
		l, err := OpenList(f.Data, c.Roots)
		switch {
		case err != nil && bytes.HasPrefix(bytes.TrimSpace(f.Data), []byte("{")):
			return nil, nil, nil, refuse(f, lifeline.EINVALID, err, "这是未签名的 JWK Set；检查点只接受由根密钥签名的信任列表（keys export 不加 --unsigned）",
				"it is an unsigned JWK Set; checkpoints take only the trust list signed by the root (keys export without --unsigned)")
		case errors.Is(err, ErrListSigner):
			return nil, nil, nil, refuse(f, lifeline.EFORBIDDEN, err, "不是由固定的根密钥签名的", "it is not signed by the pinned root key")
		case err != nil:
			return nil, nil, nil, refuse(f, lifeline.EINVALID, err, "格式错误或已损坏", "it is malformed or damaged")
		}
		switch l.Kind {
		case TrustListKind:
			trusts = append(trusts, handed{f, l})
		case RevocationListKind:
			fulls = append(fulls, handed{f, l})
		default:
			deltas = append(deltas, handed{f, l})
		}
	}
	return trusts, fulls, deltas, nil
}

// notOlder refuses a list older than the version held, or than the floor
// a list set aside at open left.
func notOlder(o handed, have ListInfo, holding bool, floor uint64) error {
	v := max(floor, have.Version)
	if (holding || floor > 0) && o.l.Version < v {
		return refuse(o.f, lifeline.ECONFLICT, ErrListRollback,
			fmt.Sprintf("版本 %d 早于本机已有的版本 %d（不接受旧列表）", o.l.Version, v),
			fmt.Sprintf("its version %d is older than version %d held here (no rollback)", o.l.Version, v))
	}
	return nil
}

// newer orders lists by version, then by issue time: the same version
// signed again later is the same content, fresher.
func newer(a, b ListInfo) bool {
	return a.Version > b.Version || (a.Version == b.Version && a.IssuedAt.After(b.IssuedAt))
}

// newestTrust returns the trust list to hold after those handed over, and
// its bytes when it is one of them.
func (c *Checkpoint) newestTrust(trusts []handed, up *Update) (*SignedList, []byte, error) {
	trust, raw := c.trust, []byte(nil)
	held, _ := c.Trust()
	for _, o := range trusts {
		if err := notOlder(o, held, c.trust != nil, c.trustFloor); err != nil {
			return nil, nil, err
		}
		if trust == nil || newer(o.l.ListInfo, trust.ListInfo) {
			trust, raw = o.l, o.f.Data
		} else {
			up.Skipped = append(up.Skipped, o.f.Name)
		}
	}
	return trust, raw, nil
}

// newestRevocations returns the revocation list to hold after the full
// lists handed over (the newest of them) and the deltas (applied in order
// from there).
func (c *Checkpoint) newestRevocations(fulls, deltas []handed, up *Update) (ListInfo, *RevocationList, error) {
	info, list := c.revInfo, c.revoked
	for _, o := range fulls {
		if err := notOlder(o, c.revInfo, c.revoked != nil, c.revFloor); err != nil {
			return ListInfo{}, nil, err
		}
		if list == nil || newer(o.l.ListInfo, info) {
			info, list = o.l.ListInfo, o.l.Revocations
		} else {
			up.Skipped = append(up.Skipped, o.f.Name)
		}
	}
	slices.SortFunc(deltas, func(a, b handed) int {
		if a.l.Delta.Since != b.l.Delta.Since {
			return cmpUint(a.l.Delta.Since, b.l.Delta.Since)
		}
		return cmpUint(a.l.Version, b.l.Version)
	})
	for progress := true; progress; {
		progress = false
		var rest []handed
		for _, o := range deltas {
			d := o.l.Delta
			switch {
			case list != nil && (o.l.Version < info.Version || (o.l.Version == info.Version && !o.l.IssuedAt.After(info.IssuedAt))):
				up.Skipped = append(up.Skipped, o.f.Name)
			case list != nil && d.Since == info.Version:
				next, err := list.Apply(d)
				if err == nil && d.Since == o.l.Version && !next.Equal(list) {
					err = errors.New("a delta to the same version changes the list")
				}
				if err != nil {
					return ListInfo{}, nil, refuse(o.f, lifeline.EINVALID, fmt.Errorf("%w: %v", ErrListMalformed, err), "与本机的吊销列表不符", "it does not fit the revocation list held here")
				}
				info, list = o.l.ListInfo, next
				info.Kind = RevocationListKind
				up.Applied = append(up.Applied, o.f.Name)
				progress = true
			default:
				rest = append(rest, o)
			}
		}
		deltas = rest
	}
	if len(deltas) > 0 {
		o := deltas[0]
		have, haveEn := "无", "none"
		if list != nil {
			have = fmt.Sprint(info.Version)
			haveEn = have
		}
		return ListInfo{}, nil, refuse(o.f, lifeline.ECONFLICT, ErrListGap,
			fmt.Sprintf("这是从版本 %d 起的增量，本机的版本是 %s；请导入完整的吊销列表", o.l.Delta.Since, have),
			fmt.Sprintf("it is a delta from version %d and the version held here is %s; load a full revocation list", o.l.Delta.Since, haveEn))
	}
	return info, list, nil
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// writeHeld replaces a checkpoint file atomically (see outfile): a crash
// leaves the old file or the new one, never half of one.
func writeHeld(dir, name string, b []byte) error {
	path := filepath.Join(dir, name)
	if err := outfile.WriteBytes(path, b, 0o600); err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法写入检查点文件 "+path, "cannot write the checkpoint file "+path))
	}
	return nil
}

// HasRevocations reports whether the checkpoint holds a revocation list.
func (c *Checkpoint) HasRevocations() bool { return c.revoked != nil }

// RevocationList returns the revocation list held, nil if none.
func (c *Checkpoint) RevocationList() *RevocationList { return c.revoked }

// Verifier returns a verifier that checks codes against the held lists
// and reports their age on every result. It needs a trust list.
func (c *Checkpoint) Verifier() (*Verifier, error) {
	if c.trust == nil {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T(
			"检查点还没有信任列表：请导入由根密钥签名的 trust.cose（lifeline keys export）",
			"this checkpoint holds no trust list yet: load the trust.cose signed by the root key (lifeline keys export)"))
	}
	v := &Verifier{Trust: c.trust.Trust, Lists: []ListInfo{c.trust.ListInfo}}
	if c.revoked != nil {
		v.Revoked = c.revoked
		v.Lists = append(v.Lists, c.revInfo)
	}
	return v, nil
}
