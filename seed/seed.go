// Package seed generates synthetic residents for trying and measuring
// lifeline: valid mainland ID numbers, realistic Chinese names, buildings
// and households, a mix of colours and test results, shared phones,
// relatives, passports and permits. Output is a pure function of the
// configuration, and households are produced one at a time, so memory stays
// flat at any size.
package seed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Config says what to generate.
type Config struct {
	Residents int   // how many residents, exactly
	Seed      int64 // the same seed gives the same residents
	// Now anchors ages, colour times and sample times; the same seed and
	// Now give the same output. Zero means 2022-04-10 12:00 CST, so output
	// is reproducible by default.
	Now time.Time
}

// DefaultNow is the moment output is anchored to when Config.Now is zero.
var DefaultNow = time.Date(2022, 4, 10, 12, 0, 0, 0, lifeline.ChinaTime)

// Household is one generated household: its members, their colours and
// tests, and who may act for whom.
type Household struct {
	Address lifeline.Address
	Members []lifeline.Resident
	// Updates hold colours and tests by document; members without a
	// document (young children) have none.
	Updates []lifeline.StatusUpdate
	Links   []Link
}

// Link is a relative link inside a household (Relative is a member index)
// or to a bare phone (Relative is -1 and Phone is set): a son who lives
// elsewhere and asks for his parents by SMS.
type Link struct {
	Member   int // the person cared for, an index into Members
	Relative int // -1 for a bare phone
	Phone    string
	Relation string
}

// Address layout: every community has this many buildings, units per
// building, floors and rooms per floor.
const (
	buildingsPerCommunity = 24
	unitsPerBuilding      = 4
	floorsPerUnit         = 18
	roomsPerFloor         = 2
	roomsPerCommunity     = buildingsPerCommunity * unitsPerBuilding * floorsPerUnit * roomsPerFloor
)

type gen struct {
	rng   *rand.Rand
	now   time.Time
	room  int // next room slot, over all communities
	ids   int // mainland IDs handed out, for uniqueness
	nEp   int // birth-date residue classes IDs are spread over: see mainlandID
	phone int // mobile numbers handed out
	perm  int // permits and passports handed out
	tube  int
}

// Generate calls fn for every household, in address order, until
// cfg.Residents residents have been produced. It stops at fn's first error.
func Generate(cfg Config, fn func(*Household) error) error {
	g := &gen{rng: rand.New(rand.NewPCG(uint64(cfg.Seed), 0x6c6966656c696e65)), now: cfg.Now}
	if g.now.IsZero() {
		g.now = DefaultNow
	}
	// IDs are unique by construction (see mainlandID): region and sequence
	// digits give idSlots distinct numbers per birth-date residue class.
	g.nEp = cfg.Residents/idSlots + 1
	left := cfg.Residents
	for left > 0 {
		h := g.household(left)
		left -= len(h.Members)
		if err := fn(h); err != nil {
			return err
		}
	}
	return nil
}

// idSlots is how many mainland IDs differ in region and sequence alone:
// regions × 100 values of digits 15-16 × 5 values of digit 17 for each sex.
var idSlots = len(regions) * 100 * 5

func (g *gen) chance(p float64) bool { return g.rng.Float64() < p }

func (g *gen) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// pickSkewed favours the front of a list ordered by frequency.
func (g *gen) pickSkewed(list []string) string {
	u := g.rng.Float64()
	return list[int(u*u*float64(len(list)))]
}

func (g *gen) address() lifeline.Address {
	for {
		slot := g.room
		g.room++
		c := slot / roomsPerCommunity
		r := slot % roomsPerCommunity
		room := r % roomsPerFloor
		r /= roomsPerFloor
		floor := r%floorsPerUnit + 1
		r /= floorsPerUnit
		unit := r%unitsPerBuilding + 1
		building := r/unitsPerBuilding + 1
		// About one flat in ten stands empty.
		if g.chance(0.1) {
			continue
		}
		name := communityNames[c%len(communityNames)]
		if c >= len(communityNames) {
			name += strconv.Itoa(c/len(communityNames)+1) + "区"
		}
		return lifeline.Address{
			Community: name,
			Building:  strconv.Itoa(building),
			Unit:      strconv.Itoa(unit),
			Room:      strconv.Itoa(floor*100 + room + 1),
		}
	}
}

// person is a member being built: age and sex decide name and documents.
type person struct {
	age     int
	sex     lifeline.Sex
	sur     string
	foreign int // index into foreigners, -1 for Chinese
}

func (g *gen) household(left int) *Household {
	h := &Household{Address: g.address()}
	var ps []person
	sur := func() string {
		if g.chance(0.01) {
			return g.pick(compoundSurnames)
		}
		return g.pickSkewed(surnames)
	}
	couple := func(minAge, maxAge int) (person, person) {
		a := minAge + g.rng.IntN(maxAge-minAge+1)
		b := a - 3 + g.rng.IntN(7)
		return person{age: a, sex: lifeline.Male, sur: sur(), foreign: -1}, person{age: b, sex: lifeline.Female, sur: sur(), foreign: -1}
	}
	kids := func(father person, n int) []person {
		var out []person
		for i := 0; i < n; i++ {
			sex := lifeline.Male
			if g.chance(0.5) {
				sex = lifeline.Female
			}
			out = append(out, person{age: g.rng.IntN(18), sex: sex, sur: father.sur, foreign: -1})
		}
		return out
	}
	kind := g.rng.Float64()
	switch {
	case kind < 0.015: // foreigners on passports
		f := g.rng.IntN(len(foreigners))
		ps = append(ps, person{age: 25 + g.rng.IntN(40), sex: lifeline.Male, foreign: f})
		if g.chance(0.5) {
			ps = append(ps, person{age: 25 + g.rng.IntN(40), sex: lifeline.Female, foreign: f})
		}
	case kind < 0.25: // elderly couple
		m, w := couple(65, 90)
		ps = append(ps, m, w)
	case kind < 0.33: // elderly alone
		m, w := couple(70, 95)
		if g.chance(0.7) {
			ps = append(ps, w)
		} else {
			ps = append(ps, m)
		}
	case kind < 0.68: // parents and children
		m, w := couple(28, 50)
		ps = append(ps, m, w)
		ps = append(ps, kids(m, 1+g.rng.IntN(2))...)
	case kind < 0.88: // three generations
		gm, gw := couple(60, 85)
		m, w := couple(30, 45)
		m.sur = gm.sur
		ps = append(ps, gm, gw, m, w)
		ps = append(ps, kids(m, 1)...)
	default: // young single or couple
		m, w := couple(20, 35)
		if g.chance(0.5) {
			ps = append(ps, m, w)
		} else if g.chance(0.5) {
			ps = append(ps, m)
		} else {
			ps = append(ps, w)
		}
	}
	if len(ps) > left {
		ps = ps[:left]
	}
	for _, p := range ps {
		r := g.resident(p, h.Address)
		// A child with no document is told apart from the rest of the
		// household by name: two of one name (the pool of given names
		// is small) would be one person to an import. Such a child gets
		// a second character, chosen without the random source, so the
		// rest of the data stays as it was.
		base := r.Name
		named := func(m lifeline.Resident) bool { return m.Name == r.Name }
		for k := 0; r.Doc.Type == lifeline.DocNone && slices.ContainsFunc(h.Members, named); k++ {
			r.Name = base + string(distinctChars[k%len(distinctChars)])
			if k >= len(distinctChars) {
				r.Name += strconv.Itoa(k)
			}
		}
		h.Members = append(h.Members, r)
	}
	g.phones(h, ps)
	g.statuses(h)
	g.links(h, ps)
	return h
}

// distinctChars tell apart two children of one household given one name.
var distinctChars = []rune("明华宇轩欣怡")

func (g *gen) resident(p person, a lifeline.Address) lifeline.Resident {
	r := lifeline.Resident{Address: a, Sex: p.sex}
	birth := g.now.AddDate(-p.age, 0, -g.rng.IntN(365))
	birth = time.Date(birth.Year(), birth.Month(), birth.Day(), 0, 0, 0, 0, time.UTC)
	if p.foreign >= 0 {
		f := foreigners[p.foreign]
		r.Name = g.pick(f.first) + " " + g.pick(f.last)
		r.Doc = lifeline.Document{Type: lifeline.DocPassport, Number: g.passport(), Nationality: f.nat}
		r.Birth = birth
		return r
	}
	r.Name = p.sur + g.givenName(p)
	switch u := g.rng.Float64(); {
	case p.age < 6 && u < 0.3:
		// A young child with no ID number yet: a parent registers them and
		// staff handle them by hand.
		r.Doc = lifeline.Document{Type: lifeline.DocNone}
		r.NeedsManual = true
		r.Birth = birth
	case u < 0.006:
		r.Doc = lifeline.Document{Type: lifeline.DocHKMO, Number: g.hkmo()}
		r.Birth = birth
	case u < 0.009:
		r.Doc = lifeline.Document{Type: lifeline.DocTaiwan, Number: g.taiwan()}
		r.Birth = birth
	default:
		r.Doc.Type = lifeline.DocMainlandID
		r.Doc.Number, r.Birth = g.mainlandID(birth, p.sex)
	}
	return r
}

func (g *gen) givenName(p person) string {
	var pool []rune
	switch {
	case p.age >= 55 && p.sex == lifeline.Male:
		pool = givenMaleOld
	case p.age >= 55:
		pool = givenFemaleOld
	case p.age >= 20 && p.sex == lifeline.Male:
		pool = givenMaleMiddle
	case p.age >= 20:
		pool = givenFemaleMid
	case p.sex == lifeline.Male:
		pool = givenMaleYoung
	default:
		pool = givenFemaleYoung
	}
	n := 2
	if g.chance(0.3) || len([]rune(p.sur)) == 2 {
		n = 1
	}
	out := make([]rune, n)
	for i := range out {
		out[i] = pool[g.rng.IntN(len(pool))]
	}
	return string(out)
}

// mainlandID builds a valid 18-character ID that no other generated
// resident holds. The k-th ID takes its region and sequence digits from k
// (idSlots combinations), and its birth date is moved by at most nEp-1
// days so that the date's day number modulo nEp equals k / idSlots: two IDs
// share region and sequence only if their dates differ.
func (g *gen) mainlandID(birth time.Time, sex lifeline.Sex) (string, time.Time) {
	k := g.ids
	g.ids++
	// An affine permutation of the slots (7919 is coprime to idSlots) so
	// neighbours do not get neighbouring regions.
	slot, epoch := (k%idSlots*7919+4241)%idSlots, k/idSlots
	region := regions[slot%len(regions)]
	slot /= len(regions)
	seq2, d := slot%100, slot/100 // d in 0..4
	day := int(birth.Sub(time.Date(1880, 1, 1, 0, 0, 0, 0, time.UTC)).Hours() / 24)
	day += (epoch - day%g.nEp + g.nEp) % g.nEp
	if b := time.Date(1880, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day); b.Before(g.now) {
		birth = b
	} else {
		birth = time.Date(1880, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, day-g.nEp)
	}
	last := 2 * d
	if sex == lifeline.Male {
		last++
	}
	first17 := fmt.Sprintf("%s%s%02d%d", region, birth.Format("20060102"), seq2, last)
	c, _ := lifeline.MainlandIDCheckDigit(first17)
	return first17 + string(c), birth
}

// scramble spreads a counter over 8 digits without collisions (an affine
// map modulo 10^8 with a multiplier coprime to it).
func scramble(k int) int { return (k%100000000*73939133 + 1234567) % 100000000 }

func (g *gen) mobile() string {
	k := g.phone
	g.phone++
	return "+86" + mobilePrefixes[k%len(mobilePrefixes)] + fmt.Sprintf("%08d", scramble(k))
}

func (g *gen) landline() string {
	return "+86" + g.pick(landlineAreas) + fmt.Sprintf("%08d", 20000000+g.rng.IntN(70000000))
}

func (g *gen) passport() string {
	g.perm++
	return fmt.Sprintf("E%08d", scramble(g.perm))
}

func (g *gen) hkmo() string {
	g.perm++
	return fmt.Sprintf("H%08d", scramble(g.perm))
}

func (g *gen) taiwan() string {
	g.perm++
	return fmt.Sprintf("%08d", scramble(g.perm))
}

// phones gives adults their own mobiles, lets an elderly couple share one
// handset (or only a landline), and leaves children without.
func (g *gen) phones(h *Household, ps []person) {
	var shared string
	for i := range h.Members {
		p := ps[i]
		switch {
		case p.age < 12:
		case p.age >= 65:
			if shared == "" {
				if g.chance(0.2) {
					shared = g.landline()
				} else {
					shared = g.mobile()
				}
			}
			h.Members[i].Phones = []string{shared}
		default:
			h.Members[i].Phones = []string{g.mobile()}
			if g.chance(0.05) {
				h.Members[i].Phones = append(h.Members[i].Phones, g.landline())
			}
		}
	}
}

// statuses gives most residents a green code and a recent negative test;
// some are yellow (a test overdue), a few red (positive or a close contact).
func (g *gen) statuses(h *Household) {
	for _, m := range h.Members {
		if m.Doc.Type == lifeline.DocNone {
			continue
		}
		u := lifeline.StatusUpdate{Doc: m.Doc, Color: lifeline.Green}
		colorAge := time.Duration(1+g.rng.IntN(240)) * time.Hour
		u.At = g.now.Add(-colorAge).Truncate(time.Minute)
		switch c := g.rng.Float64(); {
		case c < 0.015:
			u.Color, u.ColorReason = lifeline.Red, g.pick(redReasons)
		case c < 0.07:
			u.Color, u.ColorReason = lifeline.Yellow, g.pick(yellowReasons)
		}
		if g.chance(0.88) {
			t := &lifeline.TestResult{Site: g.pick(sites), Result: lifeline.Negative}
			age := time.Duration(1+g.rng.IntN(7*24*60)) * time.Minute
			if u.Color == lifeline.Yellow {
				age += 72 * time.Hour
			}
			t.SampledAt = g.now.Add(-age).Truncate(time.Minute)
			switch r := g.rng.Float64(); {
			case u.Color == lifeline.Red && u.ColorReason == redReasons[0]:
				t.Result = lifeline.Positive
			case age < 24*time.Hour && r < 0.4:
				t.Result = lifeline.Pending
			case r < 0.002:
				t.Result = lifeline.Positive
				u.Color, u.ColorReason = lifeline.Red, redReasons[0]
			}
			g.tube++
			t.Tube = fmt.Sprintf("T%010d", g.tube)
			u.Test = t
		}
		h.Updates = append(h.Updates, u)
	}
}

// links records who may act for whom: a parent for every child without a
// document and some others, the adult son or daughter for some
// grandparents in the same flat, and for some elderly
// people living on their own a relative's phone from elsewhere (to be
// reviewed by staff).
func (g *gen) links(h *Household, ps []person) {
	var parent, adultChild = -1, -1
	away := "" // the phone of a son or daughter living elsewhere
	for i, p := range ps {
		if p.age >= 20 && p.age < 55 {
			if parent < 0 || p.sex == lifeline.Female {
				parent = i
			}
			if adultChild < 0 {
				adultChild = i
			}
		}
	}
	for i, p := range ps {
		switch {
		case p.age < 18 && parent >= 0 && (h.Members[i].Doc.Type == lifeline.DocNone || g.chance(0.3)):
			h.Links = append(h.Links, Link{Member: i, Relative: parent, Relation: "父母"})
		case p.age >= 60 && adultChild >= 0 && g.chance(0.5):
			h.Links = append(h.Links, Link{Member: i, Relative: adultChild, Relation: "子女"})
		case p.age >= 65 && adultChild < 0 && (away != "" || g.chance(0.4)):
			if away == "" {
				away = g.mobile()
			}
			h.Links = append(h.Links, Link{Member: i, Relative: -1, Phone: away, Relation: "子女"})
		}
	}
}

// DemoSeed is the seed lifeline demo generates its residents with: the
// same every time, so the README's Examples are in every demo store.
const DemoSeed = 1

// Examples are numbers to try the gateway with on a seeded store: the
// mobile an elderly couple share (a text or a call hears both of them),
// and the landline of an elderly household (the voice line's caller),
// each of a household whose holders all have a test on record.
type Examples struct {
	Mobile, Landline string
}

// ExamplesOf finds the Examples in what cfg generates: the first of each
// kind, so they are the same for any store seeded with cfg.Seed that is
// large enough to hold them (a few hundred residents). A number not found
// is "".
func ExamplesOf(cfg Config) Examples {
	var ex Examples
	errFound := errors.New("found")
	Generate(cfg, func(h *Household) error {
		tested := map[string]bool{}
		for _, u := range h.Updates {
			tested[u.Doc.Key()] = u.Test != nil
		}
		// shared counts a phone's holders; -1 once one of them has no
		// test, so what the example reads out is a status worth hearing.
		shared := map[string]int{}
		for _, m := range h.Members {
			for _, p := range m.Phones {
				if !tested[m.Doc.Key()] || shared[p] < 0 {
					shared[p] = -1
				} else {
					shared[p]++
				}
			}
		}
		for _, m := range h.Members {
			if len(m.Phones) == 0 || shared[m.Phones[0]] < 2 {
				continue
			}
			p := m.Phones[0]
			if lifeline.IsLandline(p) && ex.Landline == "" {
				ex.Landline = p
			} else if !lifeline.IsLandline(p) && ex.Mobile == "" {
				ex.Mobile = p
			}
		}
		if ex.Mobile != "" && ex.Landline != "" {
			return errFound
		}
		return nil
	})
	return ex
}

// ExamplesIn is ExamplesOf(cfg), each number kept only if st has it bound
// to someone (a store seeded otherwise may not): what the demo prints.
func ExamplesIn(ctx context.Context, st interface {
	StatusByPhone(ctx context.Context, phone string) ([]*lifeline.Resident, error)
}, cfg Config) Examples {
	ex := ExamplesOf(cfg)
	for _, p := range []*string{&ex.Mobile, &ex.Landline} {
		if *p == "" {
			continue
		}
		if people, err := st.StatusByPhone(ctx, *p); err != nil || len(people) == 0 {
			*p = ""
		}
	}
	return ex
}

// Tries are the commands that try the examples against a gateway at addr,
// a line each, leaving out a number that is "".
func (ex Examples) Tries(addr string) lifeline.Text {
	var t lifeline.Text
	if ex.Mobile != "" {
		t.Zh += "试试（一对老夫妻共用的手机）：./lifeline sms send --url http://" + addr + "/sms --from " + ex.Mobile + " 查询\n"
		t.En += "Try (a mobile an elderly couple share): ./lifeline sms send --url http://" + addr + "/sms --from " + ex.Mobile + " STATUS\n"
	}
	if ex.Landline != "" {
		t.Zh += "打电话（一户老人的固定电话）：./lifeline sms call --url http://" + addr + "/voice --from " + ex.Landline + "\n"
		t.En += "Call (an elderly household's landline): ./lifeline sms call --url http://" + addr + "/voice --from " + ex.Landline + "\n"
	}
	return t
}
