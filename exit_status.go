package main

import "github.com/spf13/cobra"

// commandFailure holds the error of the command that ran, if it failed.
type commandFailure struct{ err error }

// watchFailures records every way the command named by args can fail: an
// unknown command, a bad flag or argument, or an error it returns. Cobra
// prints each; PocketBase's Execute then drops it, so without this record a
// failed command (a busy port, a typo) would exit 0 and scripts would carry
// on. Call it after every command is added.
func watchFailures(root *cobra.Command, args []string) *commandFailure {
	failure := &commandFailure{}
	if _, _, err := root.Find(args); err != nil {
		failure.err = err
	}
	record := func(err error) error {
		if err != nil {
			failure.err = err
		}
		return err
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return record(err) })
	var wrap func(c *cobra.Command)
	wrap = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(c *cobra.Command, args []string) error { return record(run(c, args)) }
		}
		if check := c.Args; check != nil {
			c.Args = func(c *cobra.Command, args []string) error { return record(check(c, args)) }
		}
		for _, sub := range c.Commands() {
			wrap(sub)
		}
	}
	wrap(root)
	return failure
}
