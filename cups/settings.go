package cups

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/outfile"
	"github.com/lifeline-health/lifeline/paper"
)

// Settings is what a desk keeps about printing, in a JSON file beside the
// store (SettingsFile): the printer its prints go to, the one each staff
// account chose for itself, and each printer's offset (paper.Calibrate).
// No printer at all means PDF files only, as without CUPS.
type Settings struct {
	Default  string                  `json:"default,omitempty"`
	Accounts map[string]string       `json:"accounts,omitempty"`
	Offsets  map[string]paper.Offset `json:"offsets,omitempty"`
}

// SettingsFile is where a store's desk keeps its Settings:
// $LIFELINE_PRINTERS, else printers.json beside a SQLite store, or in the
// working directory for a PostgreSQL one.
func SettingsFile(dbPath string) string {
	if f := os.Getenv("LIFELINE_PRINTERS"); f != "" {
		return f
	}
	if strings.HasPrefix(dbPath, "postgres://") || strings.HasPrefix(dbPath, "postgresql://") || dbPath == "" {
		return "printers.json"
	}
	return filepath.Join(filepath.Dir(dbPath), "printers.json")
}

// LoadSettings reads a desk's settings; a file that is not there yet is
// no settings.
func LoadSettings(path string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return s, nil
	}
	if err == nil {
		err = json.Unmarshal(b, &s)
	}
	if err != nil {
		return s, lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("无法读取打印设置 "+path, "cannot read the print settings "+path))
	}
	return s, nil
}

// Save writes the settings to path whole (a temporary file renamed over
// it), so a desk never reads half of them.
func (s Settings) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err == nil {
		err = outfile.WriteBytes(path, append(b, '\n'), 0o644)
	}
	if err != nil {
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法保存打印设置 "+path, "cannot save the print settings "+path))
	}
	return nil
}

// PrinterFor is the printer a staff member's prints go to: the one they
// chose, else the desk's; "" means PDF files only.
func (s Settings) PrinterFor(user string) string {
	if p, ok := s.Accounts[user]; ok {
		return p
	}
	return s.Default
}

// Offset is a printer's offset, zero if it has none.
func (s Settings) Offset(printer string) paper.Offset { return s.Offsets[printer] }

// WithAccount returns the settings with user's printer set ("" for PDF
// files only).
func (s Settings) WithAccount(user, printer string) Settings {
	m := map[string]string{}
	for k, v := range s.Accounts {
		m[k] = v
	}
	m[user] = printer
	s.Accounts = m
	return s
}

// WithOffset returns the settings with printer's offset set.
func (s Settings) WithOffset(printer string, o paper.Offset) Settings {
	m := map[string]paper.Offset{}
	for k, v := range s.Offsets {
		m[k] = v
	}
	m[printer] = o
	s.Offsets = m
	return s
}

// KeptOffset is the offset to print with on printer: given, and kept for
// that printer in the settings at path, when it is not zero; else the one
// kept. Without a printer, given as it is.
func KeptOffset(path, printer string, given paper.Offset) (paper.Offset, error) {
	if printer == "" {
		return given, nil
	}
	s, err := LoadSettings(path)
	if err != nil || given == (paper.Offset{}) {
		return s.Offset(printer), err
	}
	return given, s.WithOffset(printer, given).Save(path)
}
