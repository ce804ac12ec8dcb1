package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	lifeline "github.com/lifeline-health/lifeline"
)

// A SQLite store's files hold every ID number, phone and result, the staff's
// password hashes and every texter's phone: they are made readable by their
// owner alone (0600; SQLite gives the -wal and -shm files it makes the mode
// of the file they belong to), in a directory of the owner's alone (0700)
// when lifeline makes it. A store made before, or copied with wider modes,
// is opened as it is, with a warning, as a signing key is refused: the
// administrator decides, and a backup job in the owner's group keeps
// working until they do.

// makeSQLiteFiles creates the directory of path (0700) and the store and
// log files (0600) that do not exist yet, so that SQLite opens files of
// the right mode instead of making them with its default, 0644.
func makeSQLiteFiles(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return err
			}
		}
	}
	for _, p := range []string{path, LogPath(path)} {
		f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// sqliteFileWarnings returns a sentence for each of the store's files
// (the store, its log, and their -wal and -shm) that others than its owner
// may read or write.
func sqliteFileWarnings(path string) []lifeline.Text {
	if runtime.GOOS == "windows" {
		return nil // modes there say nothing of who may read
	}
	var out []lifeline.Text
	for _, base := range []string{path, LogPath(path)} {
		for _, p := range []string{base, base + "-wal", base + "-shm"} {
			st, err := os.Stat(p)
			if err != nil || st.Mode().Perm()&0o077 == 0 {
				continue
			}
			mode := st.Mode().Perm()
			out = append(out, lifeline.T(
				fmt.Sprintf("警告：数据库文件 %s 的权限 %04o 过宽，其他用户可以读取居民的证件号码和电话。请运行 chmod 600 %s", p, mode, p),
				fmt.Sprintf("warning: the store file %s has permissions %04o: other users can read residents' ID numbers and phones. Run chmod 600 %s", p, mode, p)))
		}
	}
	return out
}
