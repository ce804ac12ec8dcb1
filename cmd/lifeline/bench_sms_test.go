package main

import "testing"

// TestBenchSidsUnique: the load generator's MessageSids never repeat (a
// repeat would be answered from the store as a replay, not measured as a
// message) and are scattered, not in the order they are sent.
func TestBenchSidsUnique(t *testing.T) {
	g := newLoadGen([]string{"+8613900000000"}, "查询", 1)
	seen := map[string]bool{}
	ordered := 0
	prev := ""
	for n := int64(1); n <= 200000; n++ {
		sid := g.sid(n)
		if len(sid) != 34 || sid[:2] != "SM" {
			t.Fatalf("sid %q is not shaped like Twilio's (SM and 32 hex digits)", sid)
		}
		if seen[sid] {
			t.Fatalf("message %d repeats sid %s", n, sid)
		}
		seen[sid] = true
		if sid > prev {
			ordered++
		}
		prev = sid
	}
	// Random order: about half of the sids sort after the one before.
	if ordered > 110000 || ordered < 90000 {
		t.Fatalf("%d of 200000 sids sort after the one before: not scattered", ordered)
	}
	if a, b := g.sid(1), newLoadGen(nil, "", 1).sid(1); a == b {
		t.Fatalf("two runs share sid %s", a)
	}
}
