package lifeline

import "testing"

func TestFieldChangesIn(t *testing.T) {
	for _, c := range []struct {
		ch     FieldChanges
		zh, en string
	}{
		{FieldChanges{Name: 1, Address: 12, Phones: 3}, "住址 12 人，电话 3 人，姓名 1 人", "address 12, phones 3, name 1"},
		{FieldChanges{Sex: 2, Birth: 2}, "出生日期 2 人，性别 2 人", "date of birth 2, sex 2"},
		{FieldChanges{}, "", ""},
	} {
		if got := c.ch.In(Zh); got != c.zh {
			t.Errorf("%+v in Chinese: %q, want %q", c.ch, got, c.zh)
		}
		if got := c.ch.In(En); got != c.en {
			t.Errorf("%+v in English: %q, want %q", c.ch, got, c.en)
		}
	}
}

func TestMergeAddress(t *testing.T) {
	stored := Address{Community: "幸福里社区", Building: "5", Unit: "2", Room: "301"}
	for _, c := range []struct {
		given   Address
		omitted Field
		want    Address
	}{
		{Address{}, FieldAddress, stored},
		{Address{Building: "5", Room: "1801"}, FieldCommunity | FieldUnit, Address{Community: "幸福里社区", Building: "5", Unit: "2", Room: "1801"}},
		{Address{Community: "阳光社区", Building: "1", Room: "101"}, 0, Address{Community: "阳光社区", Building: "1", Room: "101"}},
	} {
		if got := MergeAddress(c.given, stored, c.omitted); got != c.want {
			t.Errorf("MergeAddress(%+v, %b) = %+v, want %+v", c.given, c.omitted, got, c.want)
		}
	}
}
