//go:build !unix

package main

// stopProfile does nothing where there is no SIGUSR1: no profile is taken.
func (c *child) stopProfile() {}
