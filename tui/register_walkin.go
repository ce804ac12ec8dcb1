package tui

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	lifeline "github.com/lifeline-health/lifeline"
)

// walkInForm is the register screen's form for a person who is not on the
// roster: name, document (type chosen from the list, number masked once
// typed, nationality for a passport), phone, and where they are staying
// if they say. They become a resident marked as registered on site.
type walkInForm struct {
	e       *env
	fields  []walkInField
	at      int // focused field
	docType int // index in lifeline.DocTypes
}

// walkInField is one line of the form; a field with no input is the
// document type, chosen with ←→.
type walkInField struct {
	label lifeline.Text
	in    *textinput.Model
}

const (
	fieldName = iota
	fieldDocType
	fieldDocNumber
	fieldNationality
	fieldPhone
	fieldAddress
)

// newWalkInForm starts the form with what was searched for: a document
// number goes in its field, anything else is taken for the name.
func newWalkInForm(e *env, query string) *walkInForm {
	input := func(placeholder lifeline.Text, limit int) *textinput.Model {
		in := newInput("", placeholder.In(e.lang), limit, 40)
		return &in
	}
	f := &walkInForm{e: e, fields: []walkInField{
		{lifeline.T("姓名", "Name"), input(lifeline.T("证件上的姓名", "name as on the document"), 40)},
		{lifeline.T("证件类型", "Document"), nil},
		{lifeline.T("证件号码", "Number"), input(lifeline.T("输入或扫描", "type or scan"), 32)},
		{lifeline.T("国籍", "Nationality"), input(lifeline.T("护照：三位字母，如 USA", "passport: three letters, e.g. USA"), 3)},
		{lifeline.T("电话", "Phone"), input(lifeline.T("手机或固定电话", "mobile or landline"), 20)},
		{lifeline.T("暂住地址", "Staying at"), input(lifeline.T("楼-单元-房号，可不填", "building-unit-room, if any"), 20)},
	}}
	if n := lifeline.NormalizeDocNumber(query); len(n) >= 5 && strings.IndexFunc(n, func(r rune) bool { return r >= '0' && r <= '9' }) >= 0 {
		f.fields[fieldDocNumber].in.SetValue(n)
		if n[0] < '0' || n[0] > '9' {
			f.docType = 1 // letters first: a passport
		}
	} else {
		f.fields[fieldName].in.SetValue(query)
	}
	return f
}

func (f *walkInForm) focus() tea.Cmd {
	if in := f.fields[f.at].in; in != nil {
		return in.Focus()
	}
	return nil
}

// last reports whether the focused field is the last one: Enter there
// registers the person.
func (f *walkInForm) last() bool { return f.at == len(f.fields)-1 }

func (f *walkInForm) keys(k keyMap, e *env) []key.Binding {
	b := []key.Binding{withHelp(k.Submit, e.t("下一项/登记", "next/register")), k.Next}
	if f.at == fieldDocType {
		b = append(b, k.Choose)
	}
	return append(b, withHelp(k.Back, e.t("取消", "cancel")))
}

// skips reports whether field i is not asked for now: the nationality
// only for a passport, the number not for a child with no document.
func (f *walkInForm) skips(i int) bool {
	t := lifeline.DocTypes[f.docType]
	return i == fieldNationality && t != lifeline.DocPassport || i == fieldDocNumber && t == lifeline.DocNone
}

// move focuses the next (or previous) field that is asked for.
func (f *walkInForm) move(step int) tea.Cmd {
	if in := f.fields[f.at].in; in != nil {
		in.Blur()
	}
	for {
		f.at = (f.at + step + len(f.fields)) % len(f.fields)
		if !f.skips(f.at) {
			return f.focus()
		}
	}
}

func (f *walkInForm) update(msg tea.Msg) tea.Cmd {
	k := f.e.keys
	if km, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(km, k.Next):
			if km.String() == "shift+tab" {
				return f.move(-1)
			}
			return f.move(1)
		case key.Matches(km, k.Submit):
			return f.move(1)
		case f.at == fieldDocType && key.Matches(km, k.Choose):
			step := 1
			if km.String() == "left" {
				step = len(lifeline.DocTypes) - 1
			}
			f.docType = (f.docType + step) % len(lifeline.DocTypes)
			return nil
		}
	}
	if in := f.fields[f.at].in; in != nil {
		var cmd tea.Cmd
		*in, cmd = in.Update(msg)
		return cmd
	}
	return nil
}

// resident is the person the form describes, checked, in community.
func (f *walkInForm) resident(community string) (*lifeline.Resident, error) {
	value := func(i int) string { return lifeline.NormalizeInput(f.fields[i].in.Value()) }
	r := &lifeline.Resident{
		Name: value(fieldName),
		Doc:  lifeline.Document{Type: lifeline.DocTypes[f.docType], Number: lifeline.NormalizeDocNumber(value(fieldDocNumber))},
	}
	if r.Doc.Type == lifeline.DocNone {
		r.Doc.Number = ""
	}
	if r.Doc.Type == lifeline.DocPassport {
		r.Doc.Nationality = strings.ToUpper(value(fieldNationality))
	}
	if err := lifeline.MistypedMainlandID(r.Doc.Number); err != nil && r.Doc.Type == lifeline.DocMainlandID {
		return nil, err
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if p := value(fieldPhone); p != "" {
		phone, err := lifeline.NormalizePhone(p)
		if err != nil {
			return nil, err
		}
		r.Phones = []string{phone}
	}
	if a := value(fieldAddress); a != "" {
		addr, err := lifeline.ParseAddress(a)
		if err != nil {
			return nil, err
		}
		r.Address = addr
	}
	r.Address.Community = community
	return r, nil
}

func (f *walkInForm) view(width int) string {
	var b strings.Builder
	b.WriteString(styleHeading.Render(f.e.t("登记不在名册上的人员", "Someone not on the roster")) + "\n")
	b.WriteString(styleDim.Render(f.e.t("访客、外来务工人员、持护照的外籍人员：登记后标为“现场登记，不在名册上”。", "A visitor, a migrant worker, a foreigner with a passport: marked \"registered on site, not on the roster\".")) + "\n\n")
	for i, fl := range f.fields {
		if f.skips(i) {
			continue
		}
		label := styleLabel.Render(cell(fl.label.In(f.e.lang), 12)) + " "
		switch {
		case fl.in == nil:
			b.WriteString(cursorMark(f.at == i) + label + "‹ " + lifeline.DocTypes[f.docType].Label(f.e.lang) + " ›" + "\n")
		case i == fieldDocNumber && f.at != i && fl.in.Value() != "":
			// Typed, then masked like every number on the screens.
			b.WriteString(cursorMark(false) + label + lifeline.MaskDocNumber(lifeline.NormalizeDocNumber(fl.in.Value())) + "\n")
		default:
			b.WriteString(cursorMark(f.at == i) + label + fl.in.View() + "\n")
		}
	}
	b.WriteString("\n" + styleDim.Render(f.e.t("tab 或回车到下一项，在最后一项回车登记；esc 取消。", "Tab or Enter moves on; Enter on the last line registers; esc cancels.")))
	return b.String()
}
