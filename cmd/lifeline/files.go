package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"

	lifeline "github.com/lifeline-health/lifeline"
)

// writeAtomic writes a file through a temporary file beside it and a
// rename, so an interrupted write never leaves half a file where someone
// expects one: a checkpoint loading half a list, a clerk opening half the
// rejected rows.
func writeAtomic(path string, mode os.FileMode, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// writeFileAtomic writes b to path with writeAtomic.
func writeFileAtomic(path string, b []byte, mode os.FileMode) error {
	err := writeAtomic(path, mode, func(w io.Writer) error {
		_, err := io.Copy(w, bytes.NewReader(b))
		return err
	})
	if err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法写入 "+path, "cannot write "+path))
	}
	return nil
}
