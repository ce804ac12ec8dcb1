package sms

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// The voice line speaks English to a number that texted its last command
// in English. The store keeps those numbers (SetPhoneLang); the gateway
// keeps a copy, so that a message writes the language only when it
// changes: a Chinese command from a number not known as English, nearly
// every message, writes nothing.

// langMemory is the gateway's copy of the numbers known as English. It is
// read from the store on first use and again every refresh (another
// replica may have recorded a change since), by one message at a time:
// the others meanwhile use the copy they find.
type langMemory struct {
	mu      sync.RWMutex
	en      map[string]bool
	loaded  time.Time
	loading atomic.Bool
}

// refreshEvery is how often the copy is read again from the store.
const refreshEvery = time.Minute

// english reports whether phone is known as English, reading the store's
// list when the copy is older than refreshEvery and no other message is
// reading it already.
func (m *langMemory) english(ctx context.Context, st Store, phone string, now time.Time) (bool, error) {
	m.mu.RLock()
	en, fresh := m.en[phone], m.en != nil && now.Sub(m.loaded) < refreshEvery
	m.mu.RUnlock()
	if fresh || !m.loading.CompareAndSwap(false, true) {
		return en, nil
	}
	defer m.loading.Store(false)
	phones, err := st.EnglishPhones(ctx)
	if err != nil {
		return false, err
	}
	loaded := make(map[string]bool, len(phones))
	for _, p := range phones {
		loaded[p] = true
	}
	m.mu.Lock()
	m.en, m.loaded = loaded, now
	m.mu.Unlock()
	return loaded[phone], nil
}

// known reports what the copy says of phone without reading the store:
// the busy voice line's guess.
func (m *langMemory) known(phone string) lifeline.Lang {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.en[phone] {
		return lifeline.En
	}
	return lifeline.Zh
}

func (m *langMemory) set(phone string, l lifeline.Lang) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.en == nil {
		return
	}
	if l == lifeline.En {
		m.en[phone] = true
	} else {
		delete(m.en, phone)
	}
}

// rememberLang records the language of a command from phone when it is
// not the one the gateway knows. Messages that are no command say
// nothing of a choice and change nothing; a failure is logged, as the
// reply matters more.
func (s *Server) rememberLang(ctx context.Context, phone string, cmd Command) {
	if phone == "" || cmd.Kind == KindUnknown {
		return
	}
	en, err := s.langs.english(ctx, s.cfg.Store, phone, s.cfg.Now())
	if err == nil && en == (cmd.Lang == lifeline.En) {
		return
	}
	if err == nil {
		err = s.cfg.Store.SetPhoneLang(ctx, phone, cmd.Lang)
	}
	if err != nil {
		s.log.Warn("sms: cannot record the language of a number", "from", lifeline.MaskPhone(phone), "err", err)
		return
	}
	s.langs.set(phone, cmd.Lang)
}
