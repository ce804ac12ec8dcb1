package roster

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// placeholders are what people type into a cell that has nothing to say.
// In optional columns they mean empty; elsewhere they are reported ("-" is
// also a negative result and "无" a document type, so those columns keep
// them).
var placeholders = map[string]bool{"-": true, "--": true, "—": true, "/": true, "无": true, "暂无": true, "没有": true, "n/a": true, "N/A": true, "NA": true, "null": true, "NULL": true}

// optionalFields are the columns where a placeholder means empty.
var optionalFields = map[field]bool{fPhone: true, fUnit: true, fNationality: true, fBirth: true, fSex: true, fSite: true, fTube: true, fColorReason: true}

// timeLayouts are the ways rosters write a moment, tried in order. Layouts
// with a zone keep it; the others are read in Options.Location.
var timeLayouts = []string{
	"2006-1-2 15:04", // the most common first: a failed try costs an allocation
	"2006-1-2 15:04:05",
	time.RFC3339,
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006/1/2 15:04:05",
	"2006/1/2 15:04",
	"2006.1.2 15:04:05",
	"2006.1.2 15:04",
	"2006年1月2日 15:04:05",
	"2006年1月2日 15:04",
	"2006年1月2日15:04",
	"2006年1月2日15时04分",
	"20060102150405",
	"200601021504",
}

// dateLayouts are the ways rosters write a day.
var dateLayouts = []string{
	"2006-1-2",
	"2006/1/2",
	"2006.1.2",
	"2006年1月2日",
	"20060102",
}

// excelEpoch is day 0 of Excel's 1900 date system (the 1900 leap-year bug
// makes it the 30th, not the 31st, for every date after February 1900).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// fromExcelSerial turns an Excel serial date (days since 1899-12-30, with
// the time of day as the fraction) into a wall-clock time in loc.
func fromExcelSerial(s string, loc *time.Location) (time.Time, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 1 || v > 2958465 || math.IsNaN(v) { // 2958465 is 9999-12-31
		return time.Time{}, false
	}
	days := math.Floor(v)
	secs := math.Round((v - days) * 86400)
	t := excelEpoch.AddDate(0, 0, int(days)).Add(time.Duration(secs) * time.Second)
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), true
}

var errBadTime = errors.New("bad time")

// parseTime reads a sample or colour time. serial allows Excel serial
// numbers, which only a workbook can hold (in a CSV a bare number is more
// likely a mistake).
func parseTime(s string, loc *time.Location, serial bool) (time.Time, error) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
	s = strings.Join(strings.Fields(s), " ")
	if serial && s != "" && s[0] >= '0' && s[0] <= '9' && !strings.ContainsAny(s, "-/年:") {
		if t, ok := fromExcelSerial(s, loc); ok {
			return t, nil
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errBadTime
}

// parseDate reads a birth date.
func parseDate(s string, loc *time.Location, serial bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if serial && s != "" && !strings.ContainsAny(s, "-/年.") && len(s) != 8 {
		if t, ok := fromExcelSerial(s, loc); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
		}
	}
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	// A date with a time of midnight, as spreadsheets export dates.
	if t, err := parseTime(s, time.UTC, false); err == nil {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	return time.Time{}, errBadTime
}

// parseSex reads 男/女, M/F or male/female.
func parseSex(s string) (lifeline.Sex, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "男", "m", "male", "男性":
		return lifeline.Male, true
	case "女", "f", "female", "女性":
		return lifeline.Female, true
	}
	return lifeline.SexNone, false
}

// splitPhones splits a phone cell: several numbers are separated by ; or ；
// (or, as people also write, a comma or 、).
func splitPhones(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case ';', '；', ',', '，', '、', '/', '\n':
			return true
		}
		return false
	})
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// numberCell undoes what a workbook does to a long number kept as a
// number: 1.3812345678E10 becomes 13812345678. It returns s unchanged when
// s is not in exponent form.
func numberCell(s string) string {
	if !strings.ContainsAny(s, "eE") || !strings.Contains(s, ".") {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < 0 || v >= 1e21 || v != math.Trunc(v) {
		return s
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

// looksLikeMangledNumber reports whether an ID cell was stored by Excel as
// a number and so lost its last digits (1.10105199001011E+17).
func looksLikeMangledNumber(s string) bool {
	s = strings.ToUpper(strings.TrimSpace(s))
	i := strings.Index(s, "E+")
	if i < 0 {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// Address parts come with their units attached as often as not: 12号楼,
// 3单元, 501室. Stripping them lets "12-3-501" find the household.
var (
	buildingSuffixes = []string{"号楼", "栋", "幢", "号", "楼"}
	unitSuffixes     = []string{"单元", "门"}
	roomSuffixes     = []string{"室", "号", "房"}
)

func trimSuffixes(s string, suffixes []string) string {
	s = strings.TrimSpace(s)
	for _, suf := range suffixes {
		if t := strings.TrimSuffix(s, suf); t != s && t != "" {
			return strings.TrimSpace(t)
		}
	}
	return s
}

// reasonOf returns the two-language message of an application error.
func reasonOf(err error) lifeline.Text {
	var e *lifeline.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return lifeline.T(err.Error(), err.Error())
}

// isCountryCode reports whether s looks like an ISO 3166 alpha-3 code,
// as passports give nationality: three capital letters.
func isCountryCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}
