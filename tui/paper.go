package tui

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
	"github.com/lifeline-health/lifeline/paper"
)

// PaperPrinter prints the screen's jobs with package paper into dir: each
// code issued with the key active at the time in keyDir, signed, recorded
// in s, and the PDF written atomically under a name that says whose it is
// (card-ID, household-ID or building-B, then the time; large- before it
// for the large layout), named by its full path so the worker can find
// it. A building gets its distribution list beside it (-list.pdf). Unless
// the job keeps them, the earlier cards of those printed are revoked.
func PaperPrinter(s lifeline.Store, keyDir, dir string) Printer {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	var (
		once    sync.Once
		font    *paper.Font
		fontErr error
	)
	return func(ctx context.Context, job PrintJob, progress func(done, total int)) (PrintResult, error) {
		once.Do(func() { font, fontErr = paper.LoadFont() })
		if fontErr != nil {
			return PrintResult{}, fontErr
		}
		key, err := code.LoadActiveKey(keyDir, time.Now())
		if err != nil {
			return PrintResult{}, err
		}
		src, total, name, err := jobSource(ctx, s, job)
		if err != nil {
			return PrintResult{}, err
		}
		opt := paper.Options{Out: freeName(dir, name), Layout: paper.Cards, IssuedBy: job.Staff, Total: total, Font: font,
			KeepPrevious: job.KeepPrevious, StartAt: job.StartAt, Offset: job.Offset}
		if job.Large {
			opt.Layout, opt.Out, opt.StartAt = paper.Large, freeName(dir, "large-"+name), 0
		}
		if job.Scope == PrintBuilding {
			opt.List = paper.ListName(opt.Out)
		}
		iss := paper.CodeIssuer{Issuer: &code.Issuer{Key: key}}
		res, err := paper.Batch(ctx, src, iss, s, opt, func(p paper.Progress) { progress(p.Done, total) })
		return PrintResult{Files: res.AllFiles(), Codes: res.Codes, Revoked: res.Revoked}, err
	}
}

// freeName is name in dir, or, when a file of that name is there (two
// prints in one second), name with -2, -3… before its extension: a print
// never replaces an earlier one's file.
func freeName(dir, name string) string {
	ext := filepath.Ext(name)
	out := filepath.Join(dir, name)
	for i := 2; ; i++ {
		if _, err := os.Lstat(out); err != nil {
			return out
		}
		out = filepath.Join(dir, fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), i, ext))
	}
}

// jobSource is who a job prints, how many they are, and the file's name.
func jobSource(ctx context.Context, s lifeline.Store, job PrintJob) (src paper.Source, total int, name string, err error) {
	stamp := time.Now().Format("20060102-150405")
	if job.Scope == PrintPerson {
		return paper.Residents([]*lifeline.Resident{job.Resident}), 1, fmt.Sprintf("card-%d-%s.pdf", job.Resident.ID, stamp), nil
	}
	if job.Scope == PrintHousehold {
		src = paper.Selected(s, job.Filter)
		if err := src(ctx, func(*lifeline.Resident) error { total++; return nil }); err != nil {
			return nil, 0, "", err
		}
		return src, total, fmt.Sprintf("household-%d-%s.pdf", job.Filter.HouseholdID, stamp), nil
	}
	// A building in door-to-door order, room 101 before 1001.
	src, total, err = paper.Selection{Building: job.Filter.Building, Community: job.Filter.Community}.Source(ctx, s)
	return src, total, fmt.Sprintf("building-%s-%s.pdf", job.Filter.Building, stamp), err
}
