package code

import (
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// LoadActiveKey loads the keys in dir and returns the one that signs at
// now (ActiveKey).
func LoadActiveKey(dir string, now time.Time) (*SigningKey, error) {
	keys, err := LoadSigningKeys(dir)
	if err != nil {
		return nil, err
	}
	return ActiveKey(keys, now)
}

// EnsureActiveKey returns the key in dir that signs at now, or, when none
// does (no key yet, or only expired ones), a new one valid from now for a
// year; created says which. It is how a desk set up in one step (lifeline
// demo) gets a key.
func EnsureActiveKey(dir string, now time.Time) (k *SigningKey, created bool, err error) {
	if k, err := LoadActiveKey(dir, now); err == nil {
		return k, false, nil
	}
	// Valid from now as the caller reads it: a key made valid from the
	// clock's next reading could start a second after now.
	k, err = GenerateKey(dir, now.Truncate(time.Second), time.Time{})
	return k, err == nil, err
}

// StateAt says in l where a key stands at now, given the key that signs
// then (ActiveKey): signing, valid (but not the one that signs), expired
// or not yet valid.
func (k *SigningKey) StateAt(now time.Time, active *SigningKey, l lifeline.Lang) string {
	switch {
	case k == active:
		return l.Pick("正在签发", "signing")
	case k.ValidAt(now):
		return l.Pick("有效", "valid")
	case now.After(k.NotAfter):
		return l.Pick("已失效", "expired")
	}
	return l.Pick("未生效", "not yet valid")
}
