package roster

import (
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
)

// field is a column lifeline understands, whatever the header calls it.
type field int

const (
	fNone field = iota
	fName
	fDocType
	fDocNumber
	fNationality
	fPhone
	fCommunity
	fBuilding
	fUnit
	fRoom
	fBirth
	fSex
	fColor
	fColorReason
	fColorAt
	fTestedAt
	fResult
	fSite
	fTube
	nFields
)

// fieldNames are the canonical names of fields, used in messages when the
// file has no column for a field it needs (then there is no header to quote).
var fieldNames = [nFields]lifeline.Text{
	fName:        lifeline.T("姓名", "name"),
	fDocType:     lifeline.T("证件类型", "id_type"),
	fDocNumber:   lifeline.T("证件号码", "id_number"),
	fNationality: lifeline.T("国籍", "nationality"),
	fPhone:       lifeline.T("手机号码", "phone"),
	fCommunity:   lifeline.T("社区", "community"),
	fBuilding:    lifeline.T("楼栋", "building"),
	fUnit:        lifeline.T("单元", "unit"),
	fRoom:        lifeline.T("房号", "room"),
	fBirth:       lifeline.T("出生日期", "birth"),
	fSex:         lifeline.T("性别", "sex"),
	fColor:       lifeline.T("健康码", "code_color"),
	fColorReason: lifeline.T("赋码原因", "color_reason"),
	fColorAt:     lifeline.T("赋码时间", "color_at"),
	fTestedAt:    lifeline.T("采样时间", "tested_at"),
	fResult:      lifeline.T("检测结果", "result"),
	fSite:        lifeline.T("采样点", "site"),
	fTube:        lifeline.T("试管编码", "tube"),
}

// headerAliases maps a normalised header (see normHeader) to its field. The
// English names are the documented ones plus the obvious variants; the
// Chinese ones are what community spreadsheets actually say.
var headerAliases = map[string]field{
	"name": fName, "fullname": fName, "姓名": fName, "名字": fName, "居民姓名": fName,

	"idtype": fDocType, "doctype": fDocType, "documenttype": fDocType, "证件类型": fDocType, "证件种类": fDocType,

	"idnumber": fDocNumber, "idno": fDocNumber, "docnumber": fDocNumber, "documentnumber": fDocNumber,
	"证件号码": fDocNumber, "证件号": fDocNumber, "身份证号": fDocNumber, "身份证号码": fDocNumber, "身份证": fDocNumber,

	"nationality": fNationality, "country": fNationality, "国籍": fNationality,

	"phone": fPhone, "phones": fPhone, "mobile": fPhone, "tel": fPhone, "telephone": fPhone, "phonenumber": fPhone,
	"手机号码": fPhone, "手机号": fPhone, "手机": fPhone, "电话": fPhone, "联系电话": fPhone, "电话号码": fPhone,
	"landline": fPhone, "固定电话": fPhone, "座机": fPhone, "家庭电话": fPhone, "亲属电话": fNone,

	"community": fCommunity, "社区": fCommunity, "小区": fCommunity, "所属社区": fCommunity,
	"building": fBuilding, "楼栋": fBuilding, "楼号": fBuilding, "栋": fBuilding, "楼": fBuilding,
	"unit": fUnit, "单元": fUnit, "单元号": fUnit,
	"room": fRoom, "房号": fRoom, "房间号": fRoom, "门牌号": fRoom, "室": fRoom,

	"birth": fBirth, "birthdate": fBirth, "dateofbirth": fBirth, "dob": fBirth, "出生日期": fBirth, "生日": fBirth,
	"sex": fSex, "gender": fSex, "性别": fSex,

	"codecolor": fColor, "codecolour": fColor, "color": fColor, "colour": fColor, "healthcode": fColor,
	"健康码": fColor, "健康码颜色": fColor, "赋码": fColor, "码色": fColor,
	"colorreason": fColorReason, "colourreason": fColorReason, "reason": fColorReason, "赋码原因": fColorReason, "原因": fColorReason,
	"colorat": fColorAt, "colourat": fColorAt, "赋码时间": fColorAt,

	"testedat": fTestedAt, "sampledat": fTestedAt, "sampletime": fTestedAt, "testtime": fTestedAt,
	"采样时间": fTestedAt, "检测时间": fTestedAt, "核酸时间": fTestedAt,
	"result": fResult, "testresult": fResult, "检测结果": fResult, "核酸结果": fResult, "结果": fResult,
	"site": fSite, "samplesite": fSite, "采样点": fSite, "采样地点": fSite,
	"tube": fTube, "tubebarcode": fTube, "tubecode": fTube, "barcode": fTube, "试管编码": fTube, "试管码": fTube, "试管条码": fTube,
}

// normHeader folds a header cell to the form headerAliases uses: no BOM,
// spaces, underscores, dashes or required-field stars, lower case, and
// without a trailing remark in brackets ("手机号码（多个用;分隔）").
func normHeader(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	for _, open := range []string{"(", "（", "[", "【"} {
		if i := strings.Index(s, open); i > 0 {
			s = s[:i]
		}
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case ' ', '_', '-', '*', '＊', '\t', '\u3000', ':', '：', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// columns maps fields to column indexes in one table.
type columns struct {
	idx    [nFields]int // -1 if absent
	phones []int        // every phone column: a mobile and a landline column are both the resident's
	header []string
}

func mapHeader(header []string) (columns, int) {
	var c columns
	for i := range c.idx {
		c.idx[i] = -1
	}
	c.header = header
	known := 0
	for i, h := range header {
		f := headerAliases[normHeader(h)]
		if f == fPhone {
			c.phones = append(c.phones, i)
		}
		if f == fNone || c.idx[f] >= 0 {
			continue // unknown columns are ignored; the first of two same columns wins
		}
		c.idx[f] = i
		known++
	}
	return c, known
}

func (c *columns) has(f field) bool { return c.idx[f] >= 0 }

// kind recognises a table from its columns. A file with name and document is
// a roster; one with a document or a tube barcode, and a colour or result,
// holds results (by person, or by tube for a row with a tube and no
// document). A results file that also lists names (labs often do) is not a
// roster unless it also has an address or phone column, so importing it
// never blanks anyone's address.
func (c *columns) kind() Kind {
	var k Kind
	results := (c.has(fDocNumber) || c.has(fTube)) && (c.has(fColor) || c.has(fResult))
	if results {
		k |= KindResults
	}
	if c.has(fName) && c.has(fDocNumber) {
		if !results || c.has(fCommunity) || c.has(fBuilding) || c.has(fUnit) || c.has(fRoom) || c.has(fPhone) {
			k |= KindRoster
		}
	}
	return k
}

// name returns the column's header as the file writes it, or the canonical
// field name in the reader's language when the file has no such column.
func (c *columns) name(f field) fieldName {
	if i := c.idx[f]; i >= 0 {
		return c.headerName(i)
	}
	return fieldName{text: fieldNames[f]}
}

func (c *columns) headerName(i int) fieldName {
	return fieldName{header: strings.TrimSpace(strings.TrimPrefix(c.header[i], "\ufeff"))}
}

type fieldName struct {
	header string
	text   lifeline.Text
}

func (n fieldName) in(l lifeline.Lang) string {
	if n.header != "" {
		return n.header
	}
	return n.text.In(l)
}

// omitted is what the table's rows say nothing about, having no column
// for it (lifeline.Resident.Omitted): the store keeps those parts of a
// resident as they are.
func (c *columns) omitted() lifeline.Field {
	var o lifeline.Field
	for f, part := range map[field]lifeline.Field{
		fNationality: lifeline.FieldNationality, fBirth: lifeline.FieldBirth, fSex: lifeline.FieldSex,
		fCommunity: lifeline.FieldCommunity, fBuilding: lifeline.FieldBuilding, fUnit: lifeline.FieldUnit, fRoom: lifeline.FieldRoom,
	} {
		if !c.has(f) {
			o |= part
		}
	}
	if len(c.phones) == 0 {
		o |= lifeline.FieldPhones
	}
	return o
}
