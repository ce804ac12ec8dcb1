package code

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	qrcode "github.com/skip2/go-qrcode"
)

// DefaultCheckpointDir is where a checkpoint keeps its pinned root and
// lists: $LIFELINE_CHECKPOINT, else lifeline/checkpoint under the user's
// state directory ($XDG_STATE_HOME, else ~/.local/state).
func DefaultCheckpointDir() string {
	if d := os.Getenv("LIFELINE_CHECKPOINT"); d != "" {
		return d
	}
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "checkpoint"
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "lifeline", "checkpoint")
}

// VerifierSetup is how a command line asks for a verifier: against a
// checkpoint's signed lists under a pinned root, or at a desk with no root
// pinned, against the desk's own signing keys.
type VerifierSetup struct {
	Dir           string   // checkpoint directory; "" means DefaultCheckpointDir
	Root          string   // a root file or pin to pin now; "" keeps the one pinned
	Lists         []string // signed list files handed over
	NoRevocations bool     // check without a revocation list
	MaxListAge    time.Duration
	KeyDir        string // the desk's signing keys, used when no root is pinned
	// Say, if set, hears what the checkpoint did: lists set aside, lists
	// now held.
	Say func(lifeline.Text)
}

// Verifier builds the verifier. With a root pinned (now or before), the
// lists handed over are taken first (Checkpoint.Update: a refused list is
// an error and nothing is taken), and a revocation list is required unless
// NoRevocations. With none pinned, lists are refused (EINVALID: they could
// be trusted only under a root) and the desk's keys are used; ENOTFOUND
// when there are none.
func (s VerifierSetup) Verifier() (*Verifier, error) {
	say := s.Say
	if say == nil {
		say = func(lifeline.Text) {}
	}
	dir := s.Dir
	if dir == "" {
		dir = DefaultCheckpointDir()
	}
	var roots Roots
	if s.Root != "" {
		var err error
		if roots, err = LoadRoots(s.Root); err != nil {
			return nil, err
		}
	} else if _, err := PinnedRoots(dir); lifeline.ErrorCode(err) == lifeline.ENOTFOUND {
		return s.deskVerifier()
	} else if err != nil {
		return nil, err
	}
	cp, err := OpenCheckpoint(dir, roots)
	if err != nil {
		return nil, err
	}
	for _, d := range cp.Dropped {
		say(lifeline.T("已弃用不再受信任的根密钥签名的列表："+d, "set aside a list signed by a root no longer pinned: "+d))
	}
	var files []ListFile
	for _, path := range s.Lists {
		f, err := ReadListFile(path)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	up, err := cp.Update(files)
	if err != nil {
		return nil, err
	}
	if up.Trust || up.Revocations {
		say(cp.Held())
	}
	if !cp.HasRevocations() && !s.NoRevocations {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T(
			"检查点还没有吊销列表：请用 --revoked 给出 revocations.cose（或加 --no-revocations，吊销的码将不会被发现）",
			"this checkpoint holds no revocation list: give revocations.cose with --revoked (or add --no-revocations, and revoked codes will not be caught)"))
	}
	v, err := cp.Verifier()
	if err != nil {
		return nil, err
	}
	v.MaxListAge = s.MaxListAge
	return v, nil
}

// deskVerifier checks against the desk's own signing keys.
func (s VerifierSetup) deskVerifier() (*Verifier, error) {
	if len(s.Lists) > 0 {
		return nil, lifeline.Errorf(lifeline.EINVALID, lifeline.T("只有固定了根公钥才能信任列表：请加上 --root root.pub", "lists are trusted only under a pinned root: add --root root.pub"))
	}
	keys, err := LoadSigningKeys(s.KeyDir)
	if err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, lifeline.Errorf(lifeline.ENOTFOUND, lifeline.T("本机没有密钥：请用 --root root.pub 和 --trust trust.cose 核验", "no keys here: check with --root root.pub and --trust trust.cose"))
	}
	return &Verifier{Trust: TrustListOf(keys)}, nil
}

// Held says which lists the checkpoint holds, for the person who handed
// them over.
func (c *Checkpoint) Held() lifeline.Text {
	var zh, en []string
	if i, ok := c.Trust(); ok {
		zh = append(zh, "信任列表 版本 "+strconv.FormatUint(i.Version, 10)+"，签发于 "+chinaTime(i.IssuedAt))
		en = append(en, "trust list version "+strconv.FormatUint(i.Version, 10)+", issued "+chinaTime(i.IssuedAt))
	}
	if i, ok := c.Revocations(); ok {
		zh = append(zh, "吊销列表 版本 "+strconv.FormatUint(i.Version, 10)+"，签发于 "+chinaTime(i.IssuedAt))
		en = append(en, "revocation list version "+strconv.FormatUint(i.Version, 10)+", issued "+chinaTime(i.IssuedAt))
	}
	return lifeline.T(strings.Join(zh, "；"), strings.Join(en, "; "))
}

func chinaTime(t time.Time) string { return t.In(lifeline.ChinaTime).Format("2006-01-02 15:04") }

// maxScanLine is the longest line taken as a code: three times the longest
// code, for %-escaping.
const maxScanLine = 3*MaxPayloadLen + 2

// EachScan calls fn for every non-blank line of r, as a USB scanner types
// codes, and tooLong for every line longer than any code could be: that
// line is refused and reading goes on with the next, however long it was,
// holding no more than one code's worth of it.
func EachScan(ctx context.Context, r io.Reader, fn func(string), tooLong func()) error {
	br := bufio.NewReaderSize(r, maxScanLine+1)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = br.ReadSlice('\n')
			}
			tooLong()
		} else if s := strings.TrimSpace(string(line)); s != "" {
			fn(s)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// QR returns the pin's QR code as a PNG of size pixels, at level Q, for
// printing: a checkpoint's scanner reads it as the pin's text.
func (p RootPin) QR(size int) ([]byte, error) {
	return qrcode.Encode(p.String(), qrcode.High, size)
}
