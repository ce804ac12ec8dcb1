//go:build !linux

package main

import "os/exec"

// orphanProof does nothing where the parent's death cannot signal a child.
func orphanProof(cmd *exec.Cmd) {}
