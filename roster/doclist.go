package roster

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// ReadDocumentList reads a list of document numbers, one a line, as staff
// hand them to lifeline print --from: blank lines, # comments, a byte
// order mark and spaces or dashes inside a number are ignored. Each number
// is looked up (lookup reports ENOTFOUND for one nobody holds) and its
// resident returned once, in the order listed. A line that is not a
// document number, names nobody, or names someone listed before is a
// problem, reported as "name:line: …" with the number masked, and every
// one is found, not only the first; err is for failures that are not the
// list's fault (the list cannot be read, the store is down).
func ReadDocumentList(r io.Reader, name string, lookup func(number string) (*lifeline.Resident, error)) (rs []*lifeline.Resident, problems []lifeline.Text, err error) {
	sc := bufio.NewScanner(r)
	seen := map[int64]int{}
	for line := 1; sc.Scan(); line++ {
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(strings.TrimPrefix(s, "\ufeff"))
		if s == "" {
			continue
		}
		at := fmt.Sprintf("%s:%d: ", name, line)
		n := lifeline.NormalizeDocNumber(s)
		masked := lifeline.MaskDocNumber(n)
		if !plausibleDocNumber(n) {
			problems = append(problems, lifeline.T(at+"“"+masked+"”不是证件号码", at+"\""+masked+"\" is not a document number"))
			continue
		}
		res, lerr := lookup(n)
		switch {
		case lifeline.ErrorCode(lerr) == lifeline.ENOTFOUND:
			problems = append(problems, lifeline.T(at+"没有证件号码为 "+masked+" 的居民", at+"no resident holds "+masked))
			continue
		case lerr != nil:
			return nil, nil, lerr
		}
		if first, dup := seen[res.ID]; dup {
			problems = append(problems, lifeline.T(fmt.Sprintf("%s与第 %d 行是同一人", at, first), fmt.Sprintf("%ssame person as line %d", at, first)))
			continue
		}
		seen[res.ID] = line
		rs = append(rs, res)
	}
	if err := sc.Err(); err != nil {
		return nil, nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法读取清单 "+name, "cannot read the list "+name))
	}
	return rs, problems, nil
}

// plausibleDocNumber accepts what any document type could hold: 5 to 20
// letters and digits.
func plausibleDocNumber(n string) bool {
	if len(n) < 5 || len(n) > 20 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// ReadDocumentListFile is ReadDocumentList on the file at path, named by
// its path in problems.
func ReadDocumentListFile(path string, lookup func(number string) (*lifeline.Resident, error)) ([]*lifeline.Resident, []lifeline.Text, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法打开清单文件 "+path, "cannot open the list "+path))
	}
	defer f.Close()
	return ReadDocumentList(f, path, lookup)
}

// DocumentListError is why a list read by ReadDocumentListFile cannot be
// printed: it has bad lines (each one already shown), or no document
// numbers at all; nil when it can.
func DocumentListError(path string, problems, residents int) error {
	switch {
	case problems > 0:
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T(
			fmt.Sprintf("清单 %s 有 %d 行有问题（见上），未打印任何码", path, problems),
			fmt.Sprintf("the list %s has %d bad line(s), shown above; nothing was printed", path, problems)))
	case residents == 0:
		return lifeline.Errorf(lifeline.EINVALID, lifeline.T("清单 "+path+" 中没有证件号码", "the list "+path+" holds no document numbers"))
	}
	return nil
}
