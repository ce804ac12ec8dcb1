// Package synth makes deterministic synthetic residents for the store's
// tests and benchmarks: valid ID numbers, Chinese names, households of a few
// people in buildings of a few communities, and some shared phones. The
// public seed package serves the CLI; this one exists so store tests need
// nothing outside the store.
package synth

import (
	"fmt"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

var (
	surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
	given    = []rune("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国红梅玉兰志强春梅海燕文斌晓东俊峰淑珍凤兰建华德明振宇子涵欣怡浩然梓轩雨桐一诺宇航佳琪思远博文")
	regions  = []string{"110105", "310104", "440106", "610113", "320102", "330106", "510104", "420102"}
)

// base is the first birth date; IDs spread birth dates over ~68 years.
var base = time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC)

// HouseholdSize is how many residents share a room.
const HouseholdSize = 3

// ID returns the i-th mainland ID number: distinct for every i below 25
// million, with a valid GB 11643 check digit.
func ID(i int) string {
	day := i % 25000
	seq := (i / 25000) % 1000
	region := regions[(i/25000/1000)%len(regions)]
	first17 := region + base.AddDate(0, 0, day).Format("20060102") + fmt.Sprintf("%03d", seq)
	c, _ := lifeline.MainlandIDCheckDigit(first17)
	return first17 + string(c)
}

// Name returns the i-th resident's name: a surname and one or two given
// characters, mixed so that names repeat as they do in life.
func Name(i int) string {
	h := uint32(i)*2654435761 + 12345
	n := []rune{surnames[int(h%uint32(len(surnames)))]}
	n = append(n, given[int((h>>8)%uint32(len(given)))])
	if h>>20%3 != 0 {
		n = append(n, given[int((h>>12)%uint32(len(given)))])
	}
	return string(n)
}

// Phone returns the i-th resident's phone in E.164. Every tenth resident
// (an elderly parent, say) shares the phone of the one before.
func Phone(i int) string {
	if i%10 == 9 {
		i--
	}
	h := (uint64(i)*2862933555777941757 + 3037000493) % 1_000_000_000
	return fmt.Sprintf("+861%d%09d", 3+i%7, h)
}

// Address returns the i-th resident's address: three residents a room, four
// rooms a floor, 18 floors, 2 units a building, 20 buildings a community.
func Address(i int) lifeline.Address {
	hh := i / HouseholdSize
	room := hh%4 + 1
	floor := hh/4%18 + 1
	unit := hh/72%2 + 1
	bld := hh / 144
	return lifeline.Address{
		Community: fmt.Sprintf("社区%d", bld/20+1),
		Building:  fmt.Sprint(bld%20 + 1 + bld/20*100),
		Unit:      fmt.Sprint(unit),
		Room:      fmt.Sprintf("%d%02d", floor, room),
	}
}

// Resident returns the i-th synthetic resident.
func Resident(i int) lifeline.Resident {
	return lifeline.Resident{
		Name:    Name(i),
		Doc:     lifeline.Document{Type: lifeline.DocMainlandID, Number: ID(i)},
		Phones:  []string{Phone(i)},
		Address: Address(i),
	}
}

// Residents returns residents [from, from+n).
func Residents(from, n int) []lifeline.Resident {
	out := make([]lifeline.Resident, n)
	for k := range out {
		out[k] = Resident(from + k)
	}
	return out
}
