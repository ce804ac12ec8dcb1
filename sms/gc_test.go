package sms_test

import (
	"testing"

	"github.com/lifeline-health/lifeline/sms"
)

// TestGatewayGCLeavesTheOperatorsSetting: the gateway collects at GOGC=400 with a
// 512 MiB limit, unless the operator set GOGC or GOMEMLIMIT.
func TestGatewayGCLeavesTheOperatorsSetting(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	if p, l, ok := sms.GCSettings(env()); !ok || p != 400 || l != 512<<20 {
		t.Errorf("no GOGC, no GOMEMLIMIT: got %d, %d, %v", p, l, ok)
	}
	for _, e := range [][]string{{"GOGC", "100"}, {"GOMEMLIMIT", "1GiB"}, {"GOGC", "off", "GOMEMLIMIT", "2GiB"}} {
		if _, _, ok := sms.GCSettings(env(e...)); ok {
			t.Errorf("%v set: the gateway overrides it", e)
		}
	}
}
