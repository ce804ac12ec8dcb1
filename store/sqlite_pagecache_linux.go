package store

import (
	"bytes"
	"encoding/binary"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The page cache of SQLite's connections, in huge pages: this file only
// (with its stub for other systems), and nothing depends on it: without
// it, or where the system gives no huge pages, an import works the same,
// page faults and all.
//
// Page faults can be dear, on virtual machines above all, and a huge page
// takes one where 4 KiB pages take hundreds. A big import writes its whole
// file through the writer's page cache, and SQLite allocates that cache a
// page at a time: a fault for every 4 KiB of a fresh page, and at the end,
// when the connection closes, a free for each page that hands the memory
// back to the system one call at a time. For a big import that is a good
// part of its time.
//
// ReservePageCache gives SQLite one buffer for its page caches instead
// (SQLITE_CONFIG_PAGECACHE), in huge pages: it faults in a few dozen
// times, is never freed while the process runs, and pages closed
// connections give back are taken again by the next. Every connection of
// the process shares it, and allocates on its own once it is used up, as
// before.

// bytesPerRow is about what a roster row takes in the file (16 KiB pages,
// indexes included), with room for the pages an import reads but does not
// write.
const bytesPerRow = 400

// minReserve is the smallest buffer worth reserving, maxReserve the
// largest: the page cache an import may use (see importRun).
const minReserve, maxReserve = 8 << 20, 512 << 20

var reserved struct {
	once sync.Once
	ok   bool
}

// ReservePageCache reserves the buffer for an import of about rows roster
// rows, and reports whether the process has one. It must be called before
// the process opens its first store: SQLite takes the setting only before
// it starts. It reserves nothing, and changes nothing, for a small import,
// a second time (the first buffer stays), once a store is open, or where
// the system gives no huge pages (without them the buffer would cost the
// same faults up front).
func ReservePageCache(rows int) bool {
	size := min(maxReserve, rows*bytesPerRow)
	if size < minReserve || !hugePages() {
		return false
	}
	reserved.once.Do(func() { reserved.ok = reservePageCache(size) })
	return reserved.ok
}

// transparentHugePages is where the kernel says when it gives huge pages
// (a variable so a test can say never).
var transparentHugePages = "/sys/kernel/mm/transparent_hugepage/enabled"

// hugePages reports whether the kernel gives huge pages to memory that
// asks for them (transparent_hugepage "always" or "madvise").
func hugePages() bool {
	b, err := os.ReadFile(transparentHugePages)
	return err == nil && (bytes.Contains(b, []byte("[always]")) || bytes.Contains(b, []byte("[madvise]")))
}

func reservePageCache(size int) bool {
	tls := libc.NewTLS()
	defer tls.Close()
	va := libc.Xmalloc(tls, 3*8)
	if va == 0 {
		return false
	}
	defer libc.Xfree(tls, va)
	// Out-parameters live in C memory: Go may move its stack under a
	// pointer into it.
	p := libc.Xmalloc(tls, 8)
	if p == 0 {
		return false
	}
	defer libc.Xfree(tls, p)
	if sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PCACHE_HDRSZ, libc.VaList(va, p)) != sqlite3.SQLITE_OK {
		return false
	}
	hdr := int32(binary.NativeEndian.Uint32(libc.GoBytes(p, 4))) // what SQLite keeps beside each page
	if hdr <= 0 {
		return false
	}
	slot := (pageSize + int(hdr) + 7) &^ 7
	n := size / slot
	mem, err := unix.Mmap(-1, 0, n*slot, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return false
	}
	if unix.Madvise(mem, unix.MADV_HUGEPAGE) != nil ||
		// SQLITE_MISUSE once SQLite has started: nothing is changed.
		sqlite3.Xsqlite3_config(tls, sqlite3.SQLITE_CONFIG_PAGECACHE, libc.VaList(va, uintptr(unsafe.Pointer(&mem[0])), int32(slot), int32(n))) != sqlite3.SQLITE_OK {
		unix.Munmap(mem)
		return false
	}
	// mem is outside the Go heap and referenced only by SQLite from now
	// on: it must never be unmapped.
	return true
}

// pageCacheUse reports how many of the reserved buffer's slots SQLite
// holds now, and how many bytes of page allocations did not fit in it.
func pageCacheUse() (used, overflow int64) {
	tls := libc.NewTLS()
	defer tls.Close()
	p := libc.Xmalloc(tls, 16)
	if p == 0 {
		return -1, -1
	}
	defer libc.Xfree(tls, p)
	status := func(op int32) int64 {
		if sqlite3.Xsqlite3_status64(tls, op, p, p+8, 0) != sqlite3.SQLITE_OK {
			return -1
		}
		return int64(binary.NativeEndian.Uint64(libc.GoBytes(p, 8)))
	}
	return status(sqlite3.SQLITE_STATUS_PAGECACHE_USED), status(sqlite3.SQLITE_STATUS_PAGECACHE_OVERFLOW)
}
