package lifeline

import "time"

// ChinaTime is UTC+8, fixed: China has one time zone and no daylight
// saving, and a fixed zone needs no tzdata on the machine. Every time a
// person reads (staff screens, paper codes, SMS replies, command output)
// and every time an import or an upstream system gives without a zone is in
// it, whatever zone the machine is set to: a gateway on a UTC server and a
// staff laptop in Xi'an show the same sample at the same time.
var ChinaTime = time.FixedZone("CST", 8*3600)
