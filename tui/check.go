package tui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/code"
)

// CheckResult is the verdict on one scanned paper code, in the staff
// member's language.
type CheckResult struct {
	Valid bool
	// Green is set when the code is valid and its holder was green at
	// issue. A valid code of a holder who was not is shown apart: genuine,
	// but no pass.
	Green  bool
	Reason string // why not valid, or a note such as an allowed clock skew
	Holder string // masked name and document tail: 张*丰 ····1234
	Status string // the status at issue: 绿码 阴性 04-09 08:00
	// Warnings are about the checkpoint, not the code: lists past their
	// next update, a clock that looks wrong.
	Warnings []string
	// Serial is the code's serial when it is valid, to find whom it was
	// issued to (a pooled tube adds people by their paper code).
	Serial []byte
}

// Checker verifies one payload as a scanner typed it. cmd/lifeline wires
// it to package code's verifier with the trust list and revocations.
type Checker func(ctx context.Context, payload string) CheckResult

// checkScreen takes payloads typed by a USB barcode scanner, one after
// another, and shows VALID or INVALID very large. The input keeps the
// focus and is cleared on Enter, so the next scan needs no key press.
type checkScreen struct {
	e     *env
	input textinput.Model
	last  *CheckResult
	count int // scans so far
	valid int
	seq   int
}

type checkedMsg struct {
	seq    int
	result CheckResult
}

func (checkedMsg) route() screenID { return screenCheck }

func newCheckScreen(e *env) checkScreen {
	in := newInput("> ", e.t("请扫描纸质码", "scan a paper code"), 1024, 60)
	return checkScreen{e: e, input: in}
}

func (s *checkScreen) focus() tea.Cmd { return s.input.Focus() }

func (s checkScreen) keys() []key.Binding {
	k := s.e.keys
	return []key.Binding{withHelp(k.Submit, s.e.t("验证（扫码枪自动回车）", "check (scanners press it)")), k.Back}
}

func (s checkScreen) update(msg tea.Msg) (checkScreen, tea.Cmd) {
	k := s.e.keys
	switch msg := msg.(type) {
	case checkedMsg:
		if msg.seq != s.seq {
			return s, nil
		}
		s.last = &msg.result
		if msg.result.Valid {
			s.valid++
		}
		return s, nil
	case tea.KeyMsg:
		switch {
		case key.Matches(msg, k.Back):
			if s.input.Value() != "" {
				s.input.Reset()
				return s, nil
			}
			return s, s.e.goBack(false)
		case key.Matches(msg, k.Submit):
			payload := strings.TrimSpace(s.input.Value())
			s.input.Reset()
			if payload == "" {
				return s, nil
			}
			s.count++
			s.seq++
			if s.e.cfg.Check == nil {
				s.e.setError(lifeline.Errorf(lifeline.EUNAVAILABLE, lifeline.T("此终端未配置验码（缺少信任公钥）", "checking is not set up on this terminal (no trust list)")))
				return s, nil
			}
			seq, check, ctx := s.seq, s.e.cfg.Check, s.e.ctx
			return s, func() tea.Msg { return checkedMsg{seq: seq, result: check(ctx, payload)} }
		}
	}
	var cmd tea.Cmd
	s.input, cmd = s.input.Update(msg)
	return s, cmd
}

func (s checkScreen) view(width, height int) string {
	var b strings.Builder
	b.WriteString(s.input.View() + "\n")
	b.WriteString(styleDim.Render(fmt.Sprintf(s.e.t("已扫 %d 张，有效 %d 张。扫码后自动显示结果，可直接扫下一张。", "%d scanned, %d valid. Results show by themselves; scan the next one."), s.count, s.valid)) + "\n\n")
	if s.last == nil {
		return b.String()
	}
	r := s.last
	word, zh, style := "VALID", "有 效", styleGreen
	switch {
	case !r.Valid:
		word, zh, style = "INVALID", "无 效", styleRed
	case !r.Green:
		zh, style = s.e.t("有 效 · 签发时非绿码，请核实", "有 效 · NOT GREEN AT ISSUE: check"), styleYellow
	}
	w := width - 2
	if w > 60 {
		w = 60
	}
	inner := lipgloss.JoinVertical(lipgloss.Center, bigText(word), "", zh+"  "+word)
	b.WriteString(style.Border(lipgloss.ThickBorder()).Width(w).Align(lipgloss.Center).Render(inner) + "\n")
	if r.Reason != "" {
		b.WriteString(styleLabel.Render(s.e.t("原因：", "Reason: ")) + r.Reason + "\n")
	}
	if r.Holder != "" {
		b.WriteString(styleLabel.Render(s.e.t("持码人：", "Holder: ")) + lifeline.Printable(r.Holder) + "\n")
	}
	if r.Status != "" {
		b.WriteString(styleLabel.Render(s.e.t("签发时状态：", "Status at issue: ")) + r.Status + "\n")
	}
	for _, w := range r.Warnings {
		b.WriteString(styleYellow.Render(s.e.t("警告", "Warning")) + " " + w + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// VerifierChecker checks codes with package code's offline verifier and
// words the verdict in l. With codes set (a desk beside the store), a code
// that passes offline is also looked up, so a card revoked minutes ago is
// refused before any revocation list is exported.
func VerifierChecker(v *code.Verifier, codes lifeline.CodeService, l lifeline.Lang) Checker {
	return func(ctx context.Context, payload string) CheckResult {
		res := v.Verify(payload)
		out := CheckResult{Valid: res.Valid}
		if res.Valid && codes != nil {
			ic, err := codes.IssuedCode(ctx, res.Claims.Serial)
			switch {
			case err == nil && ic.Revoked():
				out.Valid = false
				out.Reason = code.Revoked.Label(l)
			case err != nil && lifeline.ErrorCode(err) != lifeline.ENOTFOUND:
				out.Reason = l.Pick("无法查询本机吊销记录，仅按离线规则判定", "could not look up revocations here; checked offline only")
			}
		}
		if out.Valid {
			out.Serial = res.Claims.Serial
		}
		switch {
		case !res.Valid:
			out.Reason = res.Reason.Label(l)
		case out.Reason == "" && res.SkewApplied:
			out.Reason = l.Pick("本机时钟可能不准：按允许的时间误差判定为有效", "this device's clock may be off: valid within the allowed clock skew")
		}
		out.Green = out.Valid && res.GreenAtIssue()
		for _, w := range res.Lists.Warnings() {
			out.Warnings = append(out.Warnings, w.In(l))
		}
		h := res.Claims.Holder
		if h.MaskedName != "" || h.DocTail != "" {
			out.Holder = lifeline.Printable(strings.TrimSpace(h.MaskedName + "  " + h.DocumentLine(l)))
			st := h.Color.Label(l)
			if h.Result != "" {
				st += "  " + h.Result.Label(l)
			}
			if !h.TestedAt.IsZero() {
				st += "  " + h.TestedAt.In(lifeline.ChinaTime).Format("01-02 15:04") + l.Pick(" 采样", " sampled")
			}
			out.Status = st
		}
		return out
	}
}
