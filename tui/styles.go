package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	lifeline "github.com/lifeline-health/lifeline"
)

// All colours and styles live here. Colours are the 16 basic ANSI colours,
// which every terminal theme keeps readable, and every one of them sits
// beside words that say the same thing: with NO_COLOR (or a terminal with
// no colour at all) the screen loses nothing but the colour.
var (
	styleTitle    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("4"))
	styleHeading  = lipgloss.NewStyle().Bold(true)
	styleDim      = lipgloss.NewStyle().Faint(true)
	styleLabel    = lipgloss.NewStyle().Bold(true)
	styleSelected = lipgloss.NewStyle().Bold(true).Reverse(true)
	styleError    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1"))
	styleOK       = lipgloss.NewStyle().Bold(true)
	styleWarn     = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("3"))

	styleGreen  = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("10"))
	styleYellow = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("11"))
	styleRed    = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("15")).Background(lipgloss.Color("1"))
	styleNone   = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("0")).Background(lipgloss.Color("7"))
)

// colorStyle is the style of a health-code colour.
func colorStyle(c lifeline.Color) lipgloss.Style {
	switch c {
	case lifeline.Green:
		return styleGreen
	case lifeline.Yellow:
		return styleYellow
	case lifeline.Red:
		return styleRed
	}
	return styleNone
}

// colorTag is a colour's words in its colour, for tables: "绿码".
func colorTag(c lifeline.Color, l lifeline.Lang) string {
	return colorStyle(c).Render(c.Label(l))
}

// banner draws words large: a thick box, padded, in the colour, the words
// spaced out. Without colour it is still a box of big spaced words.
func banner(words string, c lipgloss.Style, width int) string {
	spaced := strings.Join(strings.Split(words, ""), " ")
	if width < lipgloss.Width(spaced)+4 {
		width = lipgloss.Width(spaced) + 4
	}
	return c.Border(lipgloss.ThickBorder()).
		Width(width-2).
		Padding(1, 0).
		Align(lipgloss.Center).
		Render(spaced)
}

// bigFont is a five-row block font for the few words the check screen
// shows large enough to read from across a desk.
var bigFont = map[rune][5]string{
	'V': {"█   █", "█   █", "█   █", " █ █ ", "  █  "},
	'A': {" ███ ", "█   █", "█████", "█   █", "█   █"},
	'L': {"█    ", "█    ", "█    ", "█    ", "█████"},
	'I': {"█████", "  █  ", "  █  ", "  █  ", "█████"},
	'D': {"████ ", "█   █", "█   █", "█   █", "████ "},
	'N': {"█   █", "██  █", "█ █ █", "█  ██", "█   █"},
}

// bigText renders s (letters of bigFont) in the block font.
func bigText(s string) string {
	var rows [5]strings.Builder
	for i, r := range s {
		g, ok := bigFont[r]
		if !ok {
			continue
		}
		for j := range rows {
			if i > 0 {
				rows[j].WriteString(" ")
			}
			rows[j].WriteString(g[j])
		}
	}
	out := make([]string, 5)
	for j := range rows {
		out[j] = rows[j].String()
	}
	return strings.Join(out, "\n")
}

// cell fits s into exactly w columns: cut with "…" if too wide, padded
// with spaces if short. Widths count CJK characters as two columns. What
// could move the cursor or change colours is shown escaped
// (lifeline.Printable): cells hold stored text.
func cell(s string, w int) string {
	if w <= 0 {
		return ""
	}
	s = lifeline.Printable(s)
	if lipgloss.Width(s) > w {
		s = ansi.Truncate(s, w, "…")
	}
	if pad := w - lipgloss.Width(s); pad > 0 {
		s += strings.Repeat(" ", pad)
	}
	return s
}

// fit cuts every line of s to width columns and keeps at most height
// lines, so a screen never wraps or scrolls the terminal.
func fit(s string, width, height int) string {
	lines := strings.Split(s, "\n")
	if height >= 0 && len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		if lipgloss.Width(l) > width {
			lines[i] = ansi.Truncate(l, width, "…")
		}
	}
	return strings.Join(lines, "\n")
}

// newInput is a text box as the screens have them: prompt before it,
// placeholder while it is empty, at most limit characters, width wide.
func newInput(prompt, placeholder string, limit, width int) textinput.Model {
	in := textinput.New()
	in.Prompt, in.Placeholder, in.CharLimit, in.Width = prompt, placeholder, limit, width
	return in
}

// cursorMark marks the selected row in words as well as reverse video.
func cursorMark(selected bool) string {
	if selected {
		return "▶ "
	}
	return "  "
}
