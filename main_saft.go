package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/kasse-pos/kasse/app"
)

// interleaved parses flags given anywhere among the words of args
// ("saft-verify a.xml --key k.pem b.xml") and returns the words.
func interleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for len(args) > 0 {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		args = fs.Args()
		if len(args) > 0 {
			words, args = append(words, args[0]), args[1:]
		}
	}
	return words, nil
}

// saftKeysCommand: the public keys of every till for an auditor, or a new
// key version for this till.
func saftKeysCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, false)
	till := fs.String("till", "", "only this till's keys (export; default every till)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := interleaved(fs, args)
		if err != nil {
			return err
		}
		if len(args) != 1 || (args[0] != "export" && args[0] != "rotate") {
			return usageError{"usage: kasse saft-keys export [--till ID] | kasse saft-keys rotate"}
		}
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		if args[0] == "rotate" {
			// The public key follows the line, so a pipe into a file gets both.
			var pem bytes.Buffer
			till, version, err := o.RotateKey(ctx, &pem)
			if err != nil {
				return err
			}
			if _, err := fmt.Fprintf(out, "till %s: new signing key version %s; the till signs with it from its next start\n", till, version); err != nil {
				return err
			}
			_, err = out.Write(pem.Bytes())
			return err
		}
		return o.PublicKeys(ctx, *till, out)
	}
}

// saftVerifyCommand checks every signature of SAF-T files with public keys
// only, as an auditor would.
func saftVerifyCommand(fs *flag.FlagSet) runFunc {
	key := fs.String("key", "", "PEM file with the public key(s), e.g. from 'kasse saft-keys export'")
	continues := fs.Bool("continues", false, "the files need not start at the tills' first sale: leave each register's first transaction unchecked when it follows one outside the files")
	return func(ctx context.Context, args []string, out io.Writer) error {
		files, err := interleaved(fs, args)
		if err != nil {
			return err
		}
		if len(files) == 0 || *key == "" {
			return usageError{"usage: kasse saft-verify FILE.xml [FILE.xml …] --key public.pem [--continues]"}
		}
		return app.VerifySAFT(files, *key, *continues, out)
	}
}
