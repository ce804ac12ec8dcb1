package lifeline

import "testing"

func TestPhoneTieWord(t *testing.T) {
	cases := []struct {
		tie    PhoneTie
		sex    Sex
		zh, en string
	}{
		{PhoneTie{Own: true, Relation: "子女"}, Female, "本人", "self"},
		{PhoneTie{Relation: "子女"}, Female, "母亲", "mother"},
		{PhoneTie{Relation: "子女"}, Male, "父亲", "father"},
		{PhoneTie{Relation: "子女"}, SexNone, "父母", "parent"},
		{PhoneTie{Relation: "父母"}, Female, "女儿", "daughter"},
		{PhoneTie{Relation: "父母"}, Male, "儿子", "son"},
		{PhoneTie{Relation: "配偶"}, Female, "妻子", "wife"},
		{PhoneTie{Relation: "配偶"}, SexNone, "配偶", "spouse"},
		{PhoneTie{Relation: "兄弟姐妹"}, Male, "兄弟", "brother"},
		{PhoneTie{Relation: "其他"}, Male, "亲属", "relative"},
		// Free text from before the list is never echoed back.
		{PhoneTie{Relation: "楼下\x1b[2J邻居"}, Male, "亲属", "relative"},
		{PhoneTie{}, Male, "亲属", "relative"},
	}
	for _, c := range cases {
		if got := c.tie.Word(c.sex, Zh); got != c.zh {
			t.Errorf("%+v %q: %q, want %q", c.tie, c.sex, got, c.zh)
		}
		if got := c.tie.Word(c.sex, En); got != c.en {
			t.Errorf("%+v %q in English: %q, want %q", c.tie, c.sex, got, c.en)
		}
	}
}
