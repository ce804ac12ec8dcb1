package lifeline

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Sex as encoded in a mainland ID number or given on a roster.
type Sex string

// Sexes.
const (
	Male    Sex = "M"
	Female  Sex = "F"
	SexNone Sex = ""
)

// Address is where a household lives: community (社区), building (楼栋),
// unit (单元) and room (房号). Its short form is "12-3-501".
type Address struct {
	Community string
	Building  string
	Unit      string
	Room      string
}

// Short returns building-unit-room, the form staff type and say, and
// building-room where there are no units (a roster without a unit column):
// the search box finds a household by either (see store.addressSteps).
func (a Address) Short() string {
	parts := []string{a.Building}
	for _, p := range []string{a.Unit, a.Room} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "-")
}

// Key tells addresses apart where Short may not: a building or room with
// a dash in it, or no unit.
func (a Address) Key() string {
	return a.Community + "\x1f" + a.Building + "\x1f" + a.Unit + "\x1f" + a.Room
}

// OnSiteBuilding is the building of the household of their own that a
// person registered on site with no address is given (see OnSiteAddress):
// the address reads "现场登记-0423-153012".
const OnSiteBuilding = "现场登记"

// OnSiteAddress is the address of a household of one's own for a person
// registered on site at t with no address in community: building
// OnSiteBuilding, the room the date and time to the second (China time),
// so that they share a household with no one.
func OnSiteAddress(community string, t time.Time) Address {
	return Address{Community: community, Building: OnSiteBuilding, Room: t.In(ChinaTime).Format("0102-150405.000")}
}

// Household is the people living in one room of a building.
type Household struct {
	ID      int64
	Address Address
}

// Color is a health-code colour.
type Color string

// Health-code colours. The empty colour means "no status known".
const (
	Green  Color = "green"
	Yellow Color = "yellow"
	Red    Color = "red"
)

// Label returns the colour's words, which are always shown beside the colour
// itself: nothing is conveyed by colour alone.
func (c Color) Label(l Lang) string {
	switch c {
	case Green:
		return l.Pick("绿码", "GREEN")
	case Yellow:
		return l.Pick("黄码", "YELLOW")
	case Red:
		return l.Pick("红码", "RED")
	}
	return l.Pick("无状态", "NO STATUS")
}

// Ago says how long before now t was, in the words staff read on the
// screen and in find's table: "23 小时前", "23 hours ago". Hours count up
// to two days, so "yesterday evening" reads as hours, not as one day.
func Ago(t, now time.Time, l Lang) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return l.Pick("刚刚", "just now")
	case d < time.Hour:
		return fmt.Sprintf(l.Pick("%d 分钟前", "%d min ago"), int(d.Minutes()))
	case d < 2*time.Hour:
		return l.Pick("1 小时前", "1 hour ago")
	case d < 48*time.Hour:
		return fmt.Sprintf(l.Pick("%d 小时前", "%d hours ago"), int(d.Hours()))
	}
	return fmt.Sprintf(l.Pick("%d 天前", "%d days ago"), int(d.Hours()/24))
}

// ParseColor reads a colour in English or Chinese.
func ParseColor(s string) (Color, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "green", "g", "绿码", "绿", "绿色":
		return Green, nil
	case "yellow", "y", "黄码", "黄", "黄色":
		return Yellow, nil
	case "red", "r", "红码", "红", "红色":
		return Red, nil
	}
	return "", Errorf(EINVALID, T("未知健康码颜色“"+s+"”，应为绿码、黄码或红码", "unknown code colour \""+s+"\": use green, yellow or red"))
}

// Result is a nucleic-acid test result.
type Result string

// Test results.
const (
	Negative Result = "negative"
	Positive Result = "positive"
	Pending  Result = "pending"
	// PooledPositive is each member's result of a positive pooled tube:
	// one of up to twenty people is positive, and each of them is to be
	// retested alone.
	PooledPositive Result = "pooled_positive"
)

// Label returns the result's words.
func (r Result) Label(l Lang) string {
	switch r {
	case Negative:
		return l.Pick("阴性", "negative")
	case Positive:
		return l.Pick("阳性", "positive")
	case Pending:
		return l.Pick("待出", "pending")
	case PooledPositive:
		return l.Pick("混管阳性，需单管复检", "pooled positive, retest alone")
	}
	return l.Pick("无结果", "no result")
}

// ParseResult reads a result in English or Chinese.
func ParseResult(s string) (Result, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "negative", "neg", "-", "阴性", "阴":
		return Negative, nil
	case "positive", "pos", "+", "阳性", "阳":
		return Positive, nil
	case "pending", "待出", "待检", "检测中", "未出":
		return Pending, nil
	case "pooled_positive", "pooled positive", "混管阳性", "混阳", "混检阳性":
		return PooledPositive, nil
	}
	return "", Errorf(EINVALID, T("未知检测结果“"+s+"”，应为阴性、阳性或待出", "unknown test result \""+s+"\": use negative, positive or pending"))
}

// TestResult is one nucleic-acid test.
type TestResult struct {
	ID         int64
	ResidentID int64
	SampledAt  time.Time
	Result     Result
	Site       string
	Tube       string // tube barcode, may be empty
	// ExternalID is the result's id at the platform or lab that pushed it;
	// pushing the same id again changes nothing.
	ExternalID string
	ReceivedAt time.Time
}

// Status is a resident's current health status.
type Status struct {
	Color     Color
	Reason    string
	ColorAt   time.Time   // when the colour was set
	Latest    *TestResult // latest test, nil if none
	UpdatedAt time.Time   // when lifeline last heard from upstream: the age shown when upstream is down
}

// Resident is one person on a community's roster.
type Resident struct {
	ID          int64
	Name        string
	Doc         Document
	Birth       time.Time // zero if unknown
	Sex         Sex
	Phones      []string // E.164
	HouseholdID int64
	Address     Address
	Status      Status
	// NeedsManual flags residents that staff must handle by hand (no document).
	NeedsManual bool
	// OnSite marks a person registered at a desk who was not on the
	// roster (a visitor, a migrant worker, a foreigner with a passport),
	// until a roster names them.
	OnSite bool
	// Tie is how the phone that asked is tied to the resident: set only by
	// reads made for a phone (StatusByPhone), zero otherwise.
	Tie       PhoneTie
	CreatedAt time.Time
	UpdatedAt time.Time
	// Omitted are the fields the source of an import has no column for:
	// a stored resident keeps them as they are. Zero: it gives them all.
	Omitted Field
}

// Validate checks a resident before it is stored.
func (r *Resident) Validate() error {
	if strings.TrimSpace(r.Name) == "" {
		return Errorf(EINVALID, T("姓名不能为空", "name is required"))
	}
	if err := r.Doc.Validate(); err != nil {
		return err
	}
	if r.Doc.Type == DocMainlandID {
		birth, sex, _ := ParseMainlandID(r.Doc.Number)
		if !r.Birth.IsZero() && !sameDay(r.Birth, birth) {
			return Errorf(EINVALID, T("出生日期与身份证号码不符", "date of birth does not match the ID number"))
		}
		if r.Sex != SexNone && r.Sex != sex {
			return Errorf(EINVALID, T("性别与身份证号码不符", "sex does not match the ID number"))
		}
	}
	return nil
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// QueryKind is what a search box query was understood as.
type QueryKind string

// Query kinds, in the order they are tried.
const (
	QueryDocument  QueryKind = "document"   // a full document number
	QueryDocTail   QueryKind = "doc_tail"   // the last 4-6 characters of one
	QueryPhone     QueryKind = "phone"      // a full phone number
	QueryPhoneTail QueryKind = "phone_tail" // its last 4 digits
	QueryAddress   QueryKind = "address"    // 12-3-501, 12-3 or 12
	QueryName      QueryKind = "name"       // a name or part of one
)

// Label says in words why a result matched, as staff read it beside the
// result. A phone query also finds landlines, hence "phone" and not
// "mobile"; a document may be a passport, hence not "ID number".
func (k QueryKind) Label(l Lang) string {
	switch k {
	case QueryDocument:
		return l.Pick("证件号", "document")
	case QueryDocTail:
		return l.Pick("证件尾号", "doc tail")
	case QueryPhone:
		return l.Pick("电话", "phone")
	case QueryPhoneTail:
		return l.Pick("电话尾号", "phone tail")
	case QueryAddress:
		return l.Pick("住址", "address")
	case QueryName:
		return l.Pick("姓名", "name")
	}
	return string(k)
}

// ResidentFilter selects residents. Query is what a person typed in the one
// search box; the other fields narrow the search.
type ResidentFilter struct {
	Query       string
	Community   string // "" means all; the store narrows it to the actor's community
	Building    string
	HouseholdID int64
	Phone       string // exact E.164
	Limit       int    // 0 means a sensible default (20)
}

// ResidentMatch is one search result, with why it matched.
type ResidentMatch struct {
	Resident *Resident
	Kind     QueryKind
	Score    int // higher ranks first
}

// ResidentService reads and writes residents, households, statuses and
// test results.
type ResidentService interface {
	// FindResidents searches by the one search box: name or part of it, full
	// document number or its last 4-6 characters, full phone or its last 4
	// digits, or building-unit-room. Results are ranked and the lookup is
	// written to the audit log with the actor from ctx.
	FindResidents(ctx context.Context, f ResidentFilter) ([]ResidentMatch, error)
	// EachResident calls fn for every resident the filter selects (Query is
	// ignored), in community, building, unit, room, name order, without
	// loading all of them into memory. Used by batch printing.
	EachResident(ctx context.Context, f ResidentFilter, fn func(*Resident) error) error
	// Resident returns one resident with phones, address and status.
	Resident(ctx context.Context, id int64) (*Resident, error)
	// ViewResident returns one resident for a person to look at, once the
	// audit log says who looked; if it cannot, nothing is returned.
	ViewResident(ctx context.Context, id int64) (*Resident, error)
	// RevealResident is ViewResident for a screen about to show the full
	// document number and phones: the audit entry says so.
	RevealResident(ctx context.Context, id int64) (*Resident, error)
	// ResidentByDocument returns the resident holding a document, current
	// or replaced. A document with no Type is looked up under every type
	// its number could be, as staff type "the number on the document"
	// without its type.
	ResidentByDocument(ctx context.Context, d Document) (*Resident, error)
	// ResidentsByPhone returns every resident bound to an E.164 number.
	ResidentsByPhone(ctx context.Context, phone string) ([]*Resident, error)
	// HouseholdMembers returns the residents of one household.
	HouseholdMembers(ctx context.Context, householdID int64) ([]*Resident, error)
	// HouseholdAt returns the household living at an address (see
	// ParseAddress), in a.Community or, when that is empty, in the one
	// community that has the address: ENOTFOUND if none, ECONFLICT if
	// several do.
	HouseholdAt(ctx context.Context, a Address) (*Household, error)
	// CreateResident stores a new resident, creating the household if needed.
	CreateResident(ctx context.Context, r *Resident) error
	// RegisterWalkIn stores a person registered at a desk who is not on
	// the roster, marked OnSite, in the actor's community: at the address
	// given, or with none in a household of their own (OnSiteAddress).
	RegisterWalkIn(ctx context.Context, r *Resident) error
	// SetLandline binds a landline to everyone in a resident's household,
	// in place of the landlines they had ("" unbinds them), and says how
	// many residents the household has. Mobiles stay.
	SetLandline(ctx context.Context, residentID int64, phone string) (int, error)
	// ChangeDocument gives a resident a new document (a new passport) while
	// keeping their id, history, codes and links.
	ChangeDocument(ctx context.Context, residentID int64, d Document) error
	// Import writes a validated batch in one transaction: residents upserted
	// by document, then results and statuses, then the paper codes of those
	// it made red revoked (see RecordResult). Either all of it is stored or
	// none of it.
	Import(ctx context.Context, b *ImportBatch) (ImportStats, error)
	// RecordResult stores a test result and/or colour change (idempotent by
	// ExternalID when set) and, in the same transaction, follows the rule
	// every status change follows, Import's included: when the update says
	// red and the resident is red once it is stored, every paper code they
	// hold is revoked, so an old green card stops passing at checkpoints.
	RecordResult(ctx context.Context, u StatusUpdate) (StatusChange, error)
	// TestResults returns a resident's results, newest first.
	TestResults(ctx context.Context, residentID int64, limit int) ([]TestResult, error)
	// CountResidents returns how many residents are stored.
	CountResidents(ctx context.Context) (int, error)
}

// StatusUpdate is a colour change and/or a test result for one resident,
// from an import, the city platform or a lab.
type StatusUpdate struct {
	ResidentID  int64
	Doc         Document // used when ResidentID is 0
	Color       Color    // "" leaves the colour alone
	ColorReason string
	At          time.Time   // when the colour changed
	Test        *TestResult // nil if none
	ExternalID  string      // idempotency key of the whole update, may be empty
}

// StatusChange is what RecordResult did.
type StatusChange struct {
	ResidentID int64
	// Changed is false when nothing was news: the same update again, or a
	// colour older than the one stored.
	Changed bool
	// Color is the resident's colour once the update is stored.
	Color Color
	// Revoked counts the paper codes the update revoked (see RecordResult).
	Revoked int
}

// ImportBatch is what one import writes: roster rows and status rows.
type ImportBatch struct {
	Residents []Resident
	Updates   []StatusUpdate
	// Tubes are results by tube barcode, applied after Updates.
	Tubes []TubeResult
	// DryRun does everything an import does, counts it, and then undoes
	// it: the stats say what a real import would do, nothing is written
	// (the IDs it sets on Residents mean nothing).
	DryRun bool
}

// ImportStats counts what an import did.
type ImportStats struct {
	Inserted  int
	Updated   int
	Unchanged int
	Results   int
	Colors    int
	// Revoked counts the paper codes of residents the batch made red,
	// revoked in the import's transaction (see RecordResult).
	Revoked int
	// Changed counts what the updated residents had changed, part by
	// part; Renamed lists the first MaxRenamesListed names changed.
	Changed FieldChanges
	Renamed []Rename
	// Tubes counts tubes whose result was news; PooledPositive the
	// members of positive pools given that result, and Queued the
	// "retest alone" SMS queued for them (see RoundService).
	Tubes          int
	PooledPositive int
	Queued         int
}

// ResultCount says how many results a search shows: "3 条结果", "1 result",
// and, when more matched than are shown, that only the first are shown:
// "50 条结果（仅显示前 50 条）".
func ResultCount(shown int, capped bool, l Lang) string {
	s := l.Count(shown, "%d 条结果", "%d result", "%d results")
	if capped {
		s += fmt.Sprintf(l.Pick("（仅显示前 %d 条）", " (only the first %d shown)"), shown)
	}
	return s
}
