package main

import (
	"context"
	"flag"
	"strings"

	lifeline "github.com/lifeline-health/lifeline"
	"github.com/lifeline-health/lifeline/auth"
	"github.com/lifeline-health/lifeline/sshd"
)

// runStaff manages staff accounts: add, list, disable, enable, remove,
// password, unlock, key add|list|remove. Every change is audited as the
// operating system's user running the command (auth.CommandLineActor).
func runStaff(ctx context.Context, app *App, args []string) error {
	if app.wantsHelp("staff", args) {
		return flag.ErrHelp
	}
	verb := strings.Join(args[:min(len(args), 1)], "")
	if verb == "key" && len(args) > 1 {
		verb, args = "key "+args[1], args[1:]
	}
	fs := app.newFlagSet("staff " + verb)
	f := auth.AddStaffFlags(fs, app.Lang)
	if err := app.parse(fs, args[min(len(args), 1):]); err != nil {
		return err
	}
	change, err := f.Change(fs, verb)
	if err != nil {
		return app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	if verb == "add" || verb == "password" {
		change.Hash, err = newPasswordHash(app, *f.PasswordStdin)
	} else if verb == "key add" {
		change.Keys, err = sshd.ReadKeys(*f.Key, *f.User)
	}
	if err != nil {
		return err
	}
	app.creates = verb == "add" // the first administrator comes before anything else
	db, err := app.Store(ctx)
	if err != nil {
		return err
	}
	return change.Run(lifeline.WithActor(ctx, auth.CommandLineActor("")), db, app.Stdout, app.Lang)
}

// newPasswordHash reads a new password (auth.ReadNewPassword) and hashes
// it; a password that could not be read is a mistake in the command line.
func newPasswordHash(app *App, fromStdin bool) (string, error) {
	password, err := auth.ReadNewPassword(app.Stdin, app.Stderr, fromStdin, app.Lang)
	if err != nil && lifeline.ErrorCode(err) == lifeline.EINVALID {
		err = app.usagef("%s", "%s", lifeline.ErrorMessage(err, app.Lang))
	}
	if err != nil {
		return "", err
	}
	return auth.HashPassword(password)
}
