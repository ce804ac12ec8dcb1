// Package outfile writes every file lifeline hands to people and to other
// programs (the rejected rows of an import, the PDFs of paper codes, trust
// and revocation lists, signing keys) by one rule, whatever is already at
// the path a person gave:
//
//   - nothing there, or a regular file: the new file is written beside it
//     under a temporary name, synced, and renamed into place, so an
//     interrupted write never leaves half a file where someone expects one
//     (a checkpoint loading half a list, a clerk opening half the rows);
//   - a device or a named pipe (/dev/null, /dev/stdout, a FIFO a script
//     reads): written to directly, never renamed onto, so the special file
//     stays what it was;
//   - a symbolic link to a regular file: followed, and the file it points
//     to replaced the same way, so the link keeps working (an operator
//     points a fixed name at a synced folder; replacing the link with a
//     file would silently stop the sync, and it is what a shell's > does).
//     It is opened for writing through the link first, so the kernel's own
//     rules on following links (protected_symlinks in a shared /tmp) and
//     the file's permissions still apply;
//   - a directory, a link to nothing, or anything else: refused, with a
//     sentence that says so.
package outfile

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	lifeline "github.com/lifeline-health/lifeline"
)

// File is a file being written. Write to it, then Commit to put it in
// place, or Abort to throw it away; until Commit, nothing at the path has
// changed.
type File struct {
	path      string // the path given
	target    string // the file replaced: path, or where a link leads
	mode      os.FileMode
	exclusive bool
	tmp       *os.File      // a regular file: the temporary file beside target
	buf       *bytes.Buffer // a special file: what Commit writes to it
	w         *bufio.Writer
	synced    bool
	done      bool
}

// Create starts writing the file at path, with mode for a new or replaced
// regular file (a special file keeps its own).
func Create(path string, mode os.FileMode) (*File, error) {
	return create(path, mode, false)
}

// CreateNew is Create for a file that must not exist yet (a signing key):
// Commit fails rather than replace anything at path, even a file that
// appeared meanwhile.
func CreateNew(path string, mode os.FileMode) (*File, error) {
	return create(path, mode, true)
}

func create(path string, mode os.FileMode, exclusive bool) (*File, error) {
	f := &File{path: path, target: path, mode: mode, exclusive: exclusive}
	special, err := f.resolve()
	if err != nil {
		return nil, err
	}
	if special {
		// Staged in memory and written at Commit: what goes to a pipe or a
		// device cannot be taken back, so it goes only once it is complete
		// (paper records its codes before a PDF leaves lifeline).
		f.buf = &bytes.Buffer{}
		f.w = bufio.NewWriterSize(f.buf, 1<<16)
		return f, nil
	}
	dir, base := filepath.Split(f.target)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, writeError(path, err)
	}
	f.tmp = tmp
	f.w = bufio.NewWriterSize(tmp, 1<<20)
	return f, nil
}

// resolve decides how path is written (see the package doc): it sets
// target, and reports whether it is a special file.
func (f *File) resolve() (special bool, err error) {
	path := f.path
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T("无法写入 "+path+"：文件夹 "+dir+" 不存在", "cannot write "+path+": the folder "+dir+" does not exist"))
		}
		return false, nil
	case err != nil:
		return false, writeError(path, err)
	case f.exclusive:
		return false, existsError(path)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		if fi, err = os.Stat(path); err != nil {
			return false, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T(path+" 是一个链接，但它指向的文件不存在，没有写入", path+" is a link to something that does not exist; nothing was written"))
		}
		if fi.Mode().IsRegular() {
			// The kernel follows the link once, with its own rules
			// (protected_symlinks) and the file's permissions.
			w, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				return false, writeError(path, err)
			}
			w.Close()
			real, err := filepath.EvalSymlinks(path)
			if err != nil {
				// A link with no path behind it (/proc/self/fd/N of a
				// file opened elsewhere): it can only be written through.
				return true, nil
			}
			f.target = real
			return false, nil
		}
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T(path+" 是文件夹：请给出其中的一个文件名", path+" is a folder: give the name of a file in it"))
	case m.IsRegular():
		return false, nil
	case m&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeNamedPipe) != 0:
		return true, nil
	}
	return false, lifeline.Errorf(lifeline.EINVALID, lifeline.T(path+" 不是普通文件、设备或管道，没有写入", path+" is neither a file, a device nor a pipe; nothing was written"))
}

// Write writes to the file's buffer.
func (f *File) Write(p []byte) (int, error) { return f.w.Write(p) }

// Target is the file Commit writes: the path given, or the file a link
// there points to.
func (f *File) Target() string { return f.target }

// TempName is where the complete file waits before Commit renames it into
// place ("" for a special file): for a message if the rename fails.
func (f *File) TempName() string {
	if f.tmp == nil {
		return ""
	}
	return f.tmp.Name()
}

// Sync makes what was written durable under the temporary name, before
// anything else (recording the codes of a PDF) depends on it. Commit syncs
// on its own if Sync was not called.
func (f *File) Sync() error {
	if err := f.w.Flush(); err != nil {
		return writeError(f.path, err)
	}
	if f.tmp != nil {
		if err := f.tmp.Sync(); err != nil {
			return writeError(f.path, err)
		}
	}
	f.synced = true
	return nil
}

// Commit puts the file in place: a regular file renamed over the target
// (or, for CreateNew, linked there only if nothing is), a special file
// written to. On failure nothing at the path has changed (a special file
// may have been written in part), and a complete regular file that could
// not be renamed is left under TempName.
func (f *File) Commit() error {
	if f.done {
		return nil
	}
	if !f.synced {
		if err := f.Sync(); err != nil {
			f.Abort()
			return err
		}
	}
	f.done = true
	if f.buf != nil {
		return f.writeSpecial()
	}
	if err := f.tmp.Chmod(f.mode); err != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
		return writeError(f.path, err)
	}
	if err := f.tmp.Close(); err != nil {
		os.Remove(f.tmp.Name())
		return writeError(f.path, err)
	}
	if f.exclusive {
		// A hard link fails if anything is at the target, unlike a rename.
		err := os.Link(f.tmp.Name(), f.target)
		os.Remove(f.tmp.Name())
		if errors.Is(err, fs.ErrExist) {
			return existsError(f.path)
		}
		if err != nil {
			return writeError(f.path, err)
		}
	} else if err := os.Rename(f.tmp.Name(), f.target); err != nil {
		return writeError(f.path, err)
	}
	syncDir(filepath.Dir(f.target))
	return nil
}

func (f *File) writeSpecial() error {
	w, err := os.OpenFile(f.path, os.O_WRONLY, 0)
	if err != nil {
		return writeError(f.path, err)
	}
	_, err = w.Write(f.buf.Bytes())
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	f.buf = nil
	if err != nil {
		return writeError(f.path, err)
	}
	return nil
}

// Abort throws the file away: nothing at the path changes. It may be
// called after Commit, which it leaves alone.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	if f.tmp != nil {
		f.tmp.Close()
		os.Remove(f.tmp.Name())
	}
	f.buf = nil
}

// Write writes the whole file at path from write, by the package's rule:
// if write fails, nothing at path has changed.
func Write(path string, mode os.FileMode, write func(io.Writer) error) error {
	f, err := Create(path, mode)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	if err := f.Commit(); err != nil {
		if t := f.TempName(); t != "" {
			os.Remove(t) // nothing else depends on it
		}
		return err
	}
	return nil
}

// WriteBytes writes b as the whole file at path (see Write).
func WriteBytes(path string, b []byte, mode os.FileMode) error {
	return Write(path, mode, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// Check reports, before any work is done, whether Create could write at
// path: a folder that does not exist, a directory or a link to nothing is
// found before the first of a thousand codes is issued, not after.
func Check(path string) error {
	f, err := Create(path, 0o600)
	if err != nil {
		return err
	}
	f.Abort()
	return nil
}

func writeError(path string, err error) error {
	return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T(
		"无法写入 "+path+"（磁盘已满或没有写权限？）",
		"cannot write "+path+" (disk full or no permission?)"))
}

func existsError(path string) error {
	return lifeline.Errorf(lifeline.ECONFLICT, lifeline.T(path+" 已存在，没有覆盖", path+" already exists; it was not replaced"))
}

// syncDir makes a rename durable; it is best effort, as some file systems
// cannot sync a directory.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
