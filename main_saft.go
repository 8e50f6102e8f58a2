package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/flow"
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
	open := storeFlags(fs, false)
	till := fs.String("till", "", "only this till's keys (export; default every till)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := interleaved(fs, args)
		if err != nil {
			return err
		}
		if len(args) != 1 || (args[0] != "export" && args[0] != "rotate") {
			return usageError{"usage: kasse saft-keys export [--till ID] | kasse saft-keys rotate"}
		}
		cfg, db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		if args[0] == "rotate" {
			j := flow.NewElectronicJournal(db, cfg.Store.POSID, time.Local, nil)
			ring, err := saft.RotateKey(ctx, filepath.Join(cfg.DataDir, saft.KeysDirName), j)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "till %s: new signing key version %s; the till signs with it from its next start\n", ring.TillID, ring.Version)
			return saft.WritePublicKeys(out, []saft.PublicKey{ring.PublicKey()})
		}
		keys, err := saft.JournaledKeys(ctx, db, *till)
		if err != nil {
			return err
		}
		if len(keys) == 0 {
			return errors.New("no signing keys in the journal yet: a till makes its key on its first start")
		}
		return saft.WritePublicKeys(out, keys)
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
		pemData, err := os.ReadFile(*key)
		if err != nil {
			return err
		}
		keys, err := saft.ParsePublicKeys(pemData)
		if err != nil {
			return fmt.Errorf("%s: %w", *key, err)
		}
		var readers []io.Reader
		for _, f := range files {
			fh, err := os.Open(f)
			if err != nil {
				return err
			}
			defer fh.Close()
			readers = append(readers, fh)
		}
		res, err := saft.VerifySignatures(readers, keys, saft.VerifyOptions{Continues: *continues})
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "OK: %d signatures verified in %d registers", res.Verified, res.Registers)
		if res.Unsigned > 0 {
			fmt.Fprintf(out, "; %d transactions from before signing began carry the journal hash instead", res.Unsigned)
		}
		fmt.Fprintln(out)
		for _, c := range res.Continued {
			fmt.Fprintf(out, "not checked: %s follows a transaction before these files\n", c)
		}
		return nil
	}
}
