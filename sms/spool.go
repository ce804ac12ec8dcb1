package sms

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	lifeline "github.com/lifeline-health/lifeline"
)

// Spool is a gateway's local, append-only record of the messages it
// accepted while the store could not take them (PostgreSQL away, a SQLite
// file on a failing disk): one file, spool.log, in its directory, which
// the gateway drains into the store once the store is back, and then
// empties. Appends are written and fsynced together (group commit), and a
// message is acknowledged to the provider only once its record is on
// disk. A crash leaves whole records and at most a torn last one, which
// was never acknowledged and is cut off when the spool is opened again.
// Draining the same record twice is harmless: the store keeps one row per
// MessageSid.
//
// The spool holds at most max bytes; past that a message cannot be stored
// at all, the one case in which a signed message is answered 503.
type Spool struct {
	path string
	max  int64

	mu       sync.Mutex
	f        *os.File
	size     int64
	msgs     map[string]*SpoolRecord // waiting, by MessageSid
	held     map[string]bool         // numbers sent a holding text
	pending  []*spoolWait
	flushing bool
}

// SpoolRecord is one record of the spool: a message accepted (Kind 'm'),
// or a holding text sent to a number (Kind 'h', From only).
type SpoolRecord struct {
	Kind    byte   `json:"k"`
	Sid     string `json:"s,omitempty"`
	From    string `json:"f,omitempty"`
	Command string `json:"c,omitempty"`
	At      int64  `json:"t,omitempty"` // received, Unix ms
	State   int    `json:"st,omitempty"`
	// Uncertain: the message was being recorded with an inline answer
	// when the store failed, so that record may have been committed
	// though the gateway answered empty (see DB.ReopenInbound).
	Uncertain bool `json:"u,omitempty"`
}

// Message is the inbound message a record holds.
func (r *SpoolRecord) Message() *lifeline.InboundMessage {
	return &lifeline.InboundMessage{Sid: r.Sid, From: r.From, Command: r.Command, State: lifeline.InboundState(r.State), ReceivedAt: time.UnixMilli(r.At)}
}

type spoolWait struct {
	rec  *SpoolRecord
	b    []byte
	err  error
	done chan struct{}
}

// ErrSpoolFull is an append past the spool's bound.
var ErrSpoolFull = errors.New("the spool is full")

// spoolName is the spool's file in its directory.
const spoolName = "spool.log"

// OpenSpool opens (creating if needed) the spool in dir, holding at most
// max bytes, and reads what it holds.
func OpenSpool(dir string, max int64) (*Spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法创建短信暂存目录 "+dir, "cannot create the SMS spool directory "+dir))
	}
	s := &Spool{path: filepath.Join(dir, spoolName), max: max, msgs: map[string]*SpoolRecord{}, held: map[string]bool{}}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法打开短信暂存文件 "+s.path, "cannot open the SMS spool "+s.path))
	}
	good, err := s.read(f)
	if err == nil {
		// A torn last record was never acknowledged: cut it off, so that
		// what is appended next follows whole records.
		err = f.Truncate(good)
	}
	if err == nil {
		_, err = f.Seek(good, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法读取短信暂存文件 "+s.path, "cannot read the SMS spool "+s.path))
	}
	s.f, s.size = f, good
	return s, nil
}

// Dir is the spool's directory.
func (s *Spool) Dir() string { return filepath.Dir(s.path) }

// read loads the records of f and returns the offset after the last whole
// one.
func (s *Spool) read(f *os.File) (int64, error) {
	r := bufio.NewReader(f)
	var off int64
	var head [8]byte
	for {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return off, nil // the end, or a torn header
		}
		n := binary.LittleEndian.Uint32(head[:4])
		if n > 1<<20 {
			return off, nil
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil || crc32.ChecksumIEEE(b) != binary.LittleEndian.Uint32(head[4:]) {
			return off, nil
		}
		var rec SpoolRecord
		if err := json.Unmarshal(b, &rec); err != nil {
			return off, nil
		}
		s.apply(&rec)
		off += 8 + int64(n)
	}
}

// apply takes a record into what the spool knows.
func (s *Spool) apply(rec *SpoolRecord) {
	switch rec.Kind {
	case 'm':
		s.msgs[rec.Sid] = rec
	case 'h':
		s.held[rec.From] = true
	}
}

// Append writes a record and returns once it is on disk, with the records
// appended meanwhile (one write and one fsync for all of them).
func (s *Spool) Append(rec SpoolRecord) error {
	b, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	frame := make([]byte, 8, 8+len(b))
	binary.LittleEndian.PutUint32(frame[:4], uint32(len(b)))
	binary.LittleEndian.PutUint32(frame[4:], crc32.ChecksumIEEE(b))
	frame = append(frame, b...)
	w := &spoolWait{rec: &rec, b: frame, done: make(chan struct{})}
	s.mu.Lock()
	if s.size+int64(len(frame)) > s.max {
		s.mu.Unlock()
		return ErrSpoolFull
	}
	s.size += int64(len(frame)) // reserved now, so a burst cannot overshoot
	s.pending = append(s.pending, w)
	lead := !s.flushing
	s.flushing = true
	s.mu.Unlock()
	if lead {
		s.flush()
	}
	<-w.done
	return w.err
}

// flush writes what waits, a batch at a time, until nothing does.
func (s *Spool) flush() {
	for {
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		if len(batch) == 0 {
			s.flushing = false
			s.mu.Unlock()
			return
		}
		f := s.f
		s.mu.Unlock()
		var buf []byte
		for _, w := range batch {
			buf = append(buf, w.b...)
		}
		_, err := f.Write(buf)
		if err == nil {
			err = f.Sync()
		}
		s.mu.Lock()
		for _, w := range batch {
			if err != nil {
				w.err = fmt.Errorf("spool: %w", err)
				s.size -= int64(len(w.b))
			} else {
				s.apply(w.rec)
			}
		}
		s.mu.Unlock()
		for _, w := range batch {
			close(w.done)
		}
	}
}

// Has reports whether a message with this MessageSid waits in the spool,
// and from whom.
func (s *Spool) Has(sid string) (from string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.msgs[sid]
	if !ok {
		return "", false
	}
	return r.From, true
}

// Waiting returns the messages that wait, oldest first.
func (s *Spool) Waiting() []SpoolRecord {
	s.mu.Lock()
	out := make([]SpoolRecord, 0, len(s.msgs))
	for _, r := range s.msgs {
		out = append(out, *r)
	}
	s.mu.Unlock()
	sortRecords(out)
	return out
}

// Held reports whether a number was sent a holding text since the spool
// was last emptied.
func (s *Spool) Held(from string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held[from]
}

// Drained forgets messages now in the store. Once none waits, the file is
// emptied (holding-text marks with it: a later outage sends them anew).
func (s *Spool) Drained(sids []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sid := range sids {
		delete(s.msgs, sid)
	}
	if len(s.msgs) > 0 || s.flushing || len(s.pending) > 0 {
		return nil
	}
	if err := s.f.Truncate(0); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("spool: %w", err)
	}
	s.size = 0
	clear(s.held)
	return nil
}

// Stats is how many messages wait and how big the file is.
func (s *Spool) Stats() (messages int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs), s.size
}

// Full reports whether the spool has no room for another message (a
// record is some hundred bytes).
func (s *Spool) Full() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.max-s.size < 512
}

// Close closes the file.
func (s *Spool) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Close()
}

func sortRecords(rs []SpoolRecord) {
	slices.SortFunc(rs, func(a, b SpoolRecord) int {
		if a.At != b.At {
			if a.At < b.At {
				return -1
			}
			return 1
		}
		switch {
		case a.Sid < b.Sid:
			return -1
		case a.Sid > b.Sid:
			return 1
		}
		return 0
	})
}
