package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
)

// clubRulesCommand shows the club rules in force, or puts the rules of a
// JSON file in force; every change is journaled as a price change (13021).
func clubRulesCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, true)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) > 1 {
			return usageError{"usage: kasse club-rules [FILE.json]"}
		}
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		if len(args) == 0 {
			b, err := o.ClubRulesJSON(ctx)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "%s\n", b)
			return err
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read only
		changes, err := o.SetClubRules(ctx, f, "kasse club-rules "+args[0])
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		if len(changes) == 0 {
			_, err = fmt.Fprintln(out, "the club rules are unchanged")
			return err
		}
		for _, c := range changes {
			if _, err := fmt.Fprintln(out, "journaled: "+c); err != nil {
				return err
			}
		}
		return nil
	}
}
