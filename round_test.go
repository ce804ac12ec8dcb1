package lifeline

import (
	"slices"
	"sort"
	"testing"
	"time"
)

func TestParsePool(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"10", 10, true}, {"20", 20, true}, {"1", 1, true}, {" 10合1", 10, true},
		{"5", 0, false}, {"", 0, false}, {"ten", 0, false},
	} {
		got, err := ParsePool(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePool(%q) = %d, %v", tc.in, got, err)
		}
	}
}

func TestParseWhen(t *testing.T) {
	now := time.Date(2022, 4, 10, 1, 0, 0, 0, time.UTC) // 09:00 in China
	for _, tc := range []struct {
		in, want string
	}{
		{"18:00", "2022-04-10 18:00"},
		{"2022-04-11 08:30", "2022-04-11 08:30"},
		{"04-12 07:00", "2022-04-12 07:00"},
		{"2022-04-11", "2022-04-11 23:59"},
		{"2022-04-10T12:00:00Z", "2022-04-10 20:00"},
	} {
		got, err := ParseWhen(tc.in, now)
		if err != nil || got.In(ChinaTime).Format("2006-01-02 15:04") != tc.want {
			t.Errorf("ParseWhen(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	if _, err := ParseWhen("tomorrow", now); ErrorCode(err) != EINVALID {
		t.Errorf("ParseWhen(tomorrow): %v", err)
	}
}

func TestRoundValidate(t *testing.T) {
	start := time.Date(2022, 4, 10, 0, 0, 0, 0, ChinaTime)
	r := Round{Community: " 幸福里 ", Buildings: []string{"12", " 12", "", "3"}, Pool: 10, StartsAt: start, DueAt: start.Add(time.Hour)}
	if err := r.Validate(); err != nil || r.Community != "幸福里" || !slices.Equal(r.Buildings, []string{"12", "3"}) {
		t.Fatalf("Validate: %v, %+v", err, r)
	}
	for name, bad := range map[string]Round{
		"no community": {Pool: 10, StartsAt: start, DueAt: start.Add(time.Hour)},
		"pool 5":       {Community: "a", Pool: 5, StartsAt: start, DueAt: start.Add(time.Hour)},
		"due first":    {Community: "a", Pool: 10, StartsAt: start, DueAt: start.Add(-time.Hour)},
	} {
		if err := bad.Validate(); ErrorCode(err) != EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !r.Covers(start) || !r.Covers(start.Add(time.Hour)) || r.Covers(start.Add(-time.Second)) || r.Covers(start.Add(time.Hour+time.Second)) {
		t.Error("Covers is not the closed window [StartsAt, DueAt]")
	}
}

func TestDoorKeyOrdersDoorToDoor(t *testing.T) {
	want := []Address{
		{Building: "2", Unit: "1", Room: "201"},
		{Building: "2", Unit: "1", Room: "502"},
		{Building: "2", Unit: "1", Room: "1201"},
		{Building: "2", Unit: "2", Room: "101"},
		{Building: "3A", Unit: "1", Room: "101"},
		{Building: "3B", Room: "9"},
		{Building: "12", Unit: "1", Room: "101"},
		{Building: "012", Unit: "1", Room: "102"},
		{Building: "东区1"},
	}
	got := slices.Clone(want)
	slices.Reverse(got)
	sort.SliceStable(got, func(i, j int) bool { return DoorKey(got[i]) < DoorKey(got[j]) })
	if !slices.Equal(got, want) {
		t.Fatalf("door order %v, want %v", got, want)
	}
}

func TestFloorAndAge(t *testing.T) {
	for room, floor := range map[string]string{"501": "5", "1203": "12", "0301": "3", "12": "", "A501": "", "10001": ""} {
		if got := Floor(room); got != floor {
			t.Errorf("Floor(%q) = %q, want %q", room, got, floor)
		}
	}
	birth := time.Date(1950, 4, 10, 0, 0, 0, 0, time.UTC)
	if a := Age(birth, time.Date(2022, 4, 9, 12, 0, 0, 0, ChinaTime)); a != 71 {
		t.Errorf("a day before the 72nd birthday: %d", a)
	}
	if a := Age(birth, time.Date(2022, 4, 10, 0, 30, 0, 0, ChinaTime)); a != 72 {
		t.Errorf("on the birthday: %d", a)
	}
	if Age(time.Time{}, birth) != -1 {
		t.Error("unknown birth gives an age")
	}
}

func TestRoundMemberRules(t *testing.T) {
	t0 := time.Date(2022, 4, 10, 8, 0, 0, 0, ChinaTime)
	fresh := RoundMember{State: Unsampled}

	in, err := fresh.AddedToTube(7, 10, t0)
	if err != nil || in.State != Sampled || in.TubeID != 7 || in.Progress() != ProgressDone {
		t.Fatalf("into a tube: %+v, %v", in, err)
	}
	if _, err := in.AddedToTube(8, 10, t0); ErrorCode(err) != ECONFLICT {
		t.Errorf("sampled twice in a round: %v", err)
	}
	if back := in.RemovedFromTube(7, 0, time.Time{}); back != fresh {
		t.Errorf("out of the tube again: %+v", back)
	}

	pos := in.Resulted(PooledPositive, t0)
	if pos.State != Unsampled || !pos.Retest || pos.Progress() != ProgressPooledPositive {
		t.Fatalf("pooled positive: %+v", pos)
	}
	if _, err := pos.AddedToTube(9, 10, t0.Add(time.Hour)); ErrorCode(err) != ECONFLICT {
		t.Errorf("a pooled positive into a pool: %v", err)
	}
	if s := pos.TubeSizeFor(10, 0); s != 1 {
		t.Errorf("a pooled positive makes an empty tube size %d, want 1", s)
	}
	if s := pos.TubeSizeFor(10, 3); s != 10 {
		t.Errorf("a tube with others keeps its size: %d", s)
	}
	re, err := pos.AddedToTube(9, 1, t0.Add(time.Hour))
	if err != nil || !re.Retest || re.Progress() != ProgressPooledPositive {
		t.Fatalf("retest sampled: %+v, %v", re, err)
	}
	if late := re.Resulted(Negative, t0); late != re {
		t.Errorf("a late result of the pooled sample changed the retest: %+v", late)
	}
	if p := re.Resulted(Pending, t0.Add(time.Hour)); !p.Retest || p.State != Sampled {
		t.Errorf("pending retest: %+v", p)
	}
	done := re.Resulted(Negative, t0.Add(time.Hour))
	if done.State != Sampled || done.Retest || done.Progress() != ProgressDone {
		t.Errorf("negative retest: %+v", done)
	}

	if s := fresh.SampledAlone(t0); s.State != Sampled || s.TubeID != 0 {
		t.Errorf("sampled alone: %+v", s)
	}
	if s := done.SampledAlone(t0.Add(2 * time.Hour)); s != done {
		t.Errorf("sampled alone after the round's result: %+v", s)
	}
	if r := fresh.Resulted(Positive, t0); r.State != Sampled || r.Progress() != ProgressDone {
		t.Errorf("a result from elsewhere: %+v", r)
	}
}

func TestTubeMemberResult(t *testing.T) {
	pool, single := Tube{Size: 10}, Tube{Size: 1}
	if pool.MemberResult(Positive) != PooledPositive || pool.MemberResult(Negative) != Negative || single.MemberResult(Positive) != Positive {
		t.Error("a positive pool is each member's pooled positive; a single tube's result is its person's")
	}
}

func TestVisitMarks(t *testing.T) {
	for _, m := range VisitMarks {
		for _, l := range []Lang{Zh, En} {
			if got, err := ParseVisitMark(m.Label(l)); err != nil || got != m {
				t.Errorf("ParseVisitMark(%q) = %q, %v", m.Label(l), got, err)
			}
		}
	}
	now := time.Now()
	if err := (&Visit{Mark: VisitAway, At: now, Note: "bad\x1b[2J"}).Validate(now); ErrorCode(err) != EINVALID {
		t.Errorf("a note with an escape: %v", err)
	}
	if err := (&Visit{Mark: "gone", At: now}).Validate(now); ErrorCode(err) != EINVALID {
		t.Errorf("an unknown mark: %v", err)
	}
}

func TestPooledPositiveSMSIsOneSegment(t *testing.T) {
	// One UCS-2 segment is 70 characters.
	msg := PooledPositiveSMS("欧阳娜娜丽", time.Date(2022, 12, 31, 23, 0, 0, 0, ChinaTime))
	if n := len([]rune(msg)); n > 70 {
		t.Fatalf("%d characters: %s", n, msg)
	}
}
