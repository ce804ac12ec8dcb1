//go:build !linux

package store

// ReservePageCache reserves nothing here: see sqlite_pagecache_linux.go.
func ReservePageCache(rows int) bool { return false }

func pageCacheUse() (used, overflow int64) { return -1, -1 }
