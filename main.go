// Command kasse is a touchscreen till for Vipps MobilePay in-store payments
// with a customer club.
//
//	kasse [flags]            start the till (cashier window + customer display)
//	kasse sim [flags]        run the Vipps MobilePay simulator on its own
//	kasse version            print the version
//	kasse journal verify     check the electronic journal's hash chains
//	kasse report x|z         print an X report, or take the Z report that closes the day
//	kasse saft-export        write the journal as SAF-T Cash Register XML
//	kasse saft-keys export   print the tills' public signing keys for an auditor
//	kasse saft-verify F.xml  check every signature of an export with a public key
//	kasse cashier add|list   manage who may log in (the first cashier is a manager)
//	kasse import-catalog F   add or update products from a CSV file
//	kasse club-rules [F]     show or set the club's discounts, offers and points
//	kasse drive --sales N    scripted sales without windows (chaos runs, benchmarks)
//	kasse hub                a store chain's webhook receiver (tills with --webhook-via hub)
//	kasse logs [--tail N]    where the log is, or its last lines
//	kasse backup FILE        copy the database while the till runs
//	kasse restore FILE       put a backup back (the till stopped)
//
// Run "kasse COMMAND --help" for the flags of each command.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kasse-pos/kasse/app"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// runFunc runs a command once its flags have parsed; out is its standard output.
type runFunc func(ctx context.Context, args []string, out io.Writer) error

// command is one subcommand: its flags are registered on fs, and run is
// called with the remaining arguments once they parse.
type command struct {
	name    string
	summary string
	setup   func(fs *flag.FlagSet) runFunc
}

func commands() []command {
	return []command{
		{"till", "start the till (default when no command is given)", tillCommand},
		{"sim", "run the Vipps MobilePay simulator standalone", simCommand},
		{"version", "print the version and exit", versionCommand},
		{"journal", "journal verify: check the electronic journal for edited, deleted or reordered records", journalCommand},
		{"report", "report x|z: print an X report, or take the Z report that closes the day", reportCommand},
		{"saft-export", "write the electronic journal as SAF-T Cash Register XML (--from, --to, -o)", saftCommand},
		{"saft-keys", "saft-keys export | rotate: the tills' public SAF-T signing keys (PEM) for an auditor, or a new key version", saftKeysCommand},
		{"saft-verify", "saft-verify FILE.xml --key public.pem: check every signature of a SAF-T export with the public key only", saftVerifyCommand},
		{"cashier", "cashier list | cashier add NAME: the people who may log in to the till", cashierCommand},
		{"hub", "the chain's webhook receiver: verifies Vipps' webhooks, stores them in the shared PostgreSQL and wakes the tills", hubCommand},
		{"drive", "run scripted sales headless against Vipps or the simulator (--sales N); resumes after a crash", driveCommand},
		{"import-catalog", "import-catalog FILE: add or update products from a CSV file (gtin,name,price,vat,active)", importCatalogCommand},
		{"club-rules", "club-rules [FILE.json]: show the club's member discounts, offers and points rules, or put new ones in force (journaled)", clubRulesCommand},
		{"logs", "print where the till's log is; --tail N prints its last lines, -f follows it", logsCommand},
		{"backup", "backup FILE: copy the database to FILE, consistent while the till runs", backupCommand},
		{"restore", "restore FILE: put a backup back in place of the database (the till must be stopped)", restoreCommand},
		{"settings", "open the settings (manager PIN) without starting the till, e.g. to enter the Vipps keys", settingsCommand},
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "kasse %s — a till for Vipps MobilePay in-store payments with customer club\n\n", app.Version)
	fmt.Fprintln(w, "Usage:\n  kasse [COMMAND] [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'kasse COMMAND --help' for the flags of a command.")
}

// run executes kasse with args and returns the process exit code:
// 0 on success, 1 when the command failed, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	name := "till"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout)
		return 0
	}
	if name == "help" {
		usage(stdout)
		return 0
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = &c
			break
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "kasse: unknown command %q\n\n", name)
		usage(stderr)
		return 2
	}

	fs := flag.NewFlagSet("kasse "+cmd.name, flag.ContinueOnError)
	exec := cmd.setup(fs)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "Usage: kasse %s [flags]\n  %s\n\nFlags:\n", cmd.name, cmd.summary)
		fs.PrintDefaults()
	}
	// The flag package prints the usage itself; asked for, it goes to
	// stdout (once), after a mistake to stderr with the problem.
	var parseOut bytes.Buffer
	fs.SetOutput(&parseOut)
	err := fs.Parse(args)
	fs.SetOutput(stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			_, _ = stdout.Write(parseOut.Bytes())
			return 0
		}
		_, _ = stderr.Write(parseOut.Bytes())
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := exec(ctx, fs.Args(), stdout); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "kasse %s: %v\n", cmd.name, err)
			return 2
		}
		fmt.Fprintf(stderr, "kasse %s: %v\n", cmd.name, err)
		return 1
	}
	return 0
}

// usageError marks a mistake in how a command was called (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func noArgs(args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", args[0])}
	}
	return nil
}

func tillCommand(fs *flag.FlagSet) runFunc {
	cfg, load := app.ConfigFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if err := load(); err != nil {
			return app.RefuseStart(ctx, cfg, err)
		}
		return app.Run(ctx, cfg)
	}
}

// settingsCommand needs no valid configuration: it is how a manager enters
// the keys that the till refuses to start without.
func settingsCommand(fs *flag.FlagSet) runFunc {
	dataDir := fs.String("data-dir", app.DefaultDataDir(), "directory for the database, configuration and logs")
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return app.RunSettings(ctx, *dataDir, *configFile)
	}
}

func simCommand(fs *flag.FlagSet) runFunc {
	cfg := app.DefaultSimConfig()
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		return app.RunSim(ctx, cfg, out)
	}
}

func versionCommand(fs *flag.FlagSet) runFunc {
	return func(_ context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		fmt.Fprintln(out, "kasse", app.Version)
		return nil
	}
}

// flagsAfter parses flags given after a command's n words ("report z --pin …").
func flagsAfter(fs *flag.FlagSet, args []string, n int) ([]string, error) {
	if len(args) <= n {
		return args, nil
	}
	if err := fs.Parse(args[n:]); err != nil {
		return nil, usageError{err.Error()}
	}
	return append(args[:n:n], fs.Args()...), nil
}

// officeFlags are the flags of the commands that open the till's
// database for a back-office act; only create may make a new SQLite
// database (the others would find it empty).
func officeFlags(fs *flag.FlagSet, create bool) func() (*app.Office, error) {
	cfg, load := app.ConfigFlags(fs)
	return func() (*app.Office, error) {
		if err := load(); err != nil {
			return nil, err
		}
		return app.OpenOffice(cfg, create)
	}
}

func journalCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, false)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 || args[0] != "verify" {
			return usageError{"usage: kasse journal verify"}
		}
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		n, tills, err := o.VerifyJournal(ctx)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "OK: %d records in %d till journals\n", n, tills)
		return err
	}
}

func reportCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, false)
	cashier := fs.Int64("cashier", 0, "id of the cashier taking the report (a manager for Z)")
	pin := fs.String("pin", os.Getenv("KASSE_PIN"), "the cashier's PIN (default: $KASSE_PIN)")
	lang := fs.String("report-lang", "", "language of the printed report: nb, da, fi or en (default: the store's, from its currency)")
	chain := fs.Bool("chain", false, "x only: an overview of every till on the (shared) database since its last Z")
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 || (args[0] != "x" && args[0] != "z") || (*chain && args[0] != "x") {
			return usageError{"usage: kasse report x|z [--cashier ID --pin PIN] | kasse report x --chain"}
		}
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		if *chain {
			return o.ChainOverview(ctx, out, *lang)
		}
		// The cashier logs in as at the till (journaled), and the report
		// is taken through the same door as the window's Z button.
		if *cashier != 0 || args[0] == "z" {
			if _, err := o.Login(ctx, *cashier, *pin); err != nil {
				return err
			}
		}
		take := o.XReport
		if args[0] == "z" {
			take = o.ZReport
		}
		r, err := take(ctx)
		if err != nil {
			return err
		}
		text, err := o.ReportText(ctx, r, *lang)
		if err != nil {
			return err
		}
		_, err = io.WriteString(out, text)
		return err
	}
}

func saftCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, false)
	from := fs.String("from", "", "first day, YYYY-MM-DD")
	to := fs.String("to", "", "last day (included), YYYY-MM-DD")
	output := fs.String("o", "", "the XML file to write")
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		first, err1 := time.ParseInLocation(time.DateOnly, *from, time.Local)
		last, err2 := time.ParseInLocation(time.DateOnly, *to, time.Local)
		if err1 != nil || err2 != nil || *output == "" || last.Before(first) {
			return usageError{"usage: kasse saft-export --from YYYY-MM-DD --to YYYY-MM-DD -o FILE.xml"}
		}
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		n, err := o.ExportSAFT(ctx, first, last, *output)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(out, "wrote %s: %d journal records from %s to %s\n", *output, n, *from, *to)
		return err
	}
}

// importCatalogCommand loads a catalogue file into the till's database
// (creating the database on a new till). A file with any bad line imports
// nothing; every bad line is listed.
func importCatalogCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, true)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return usageError{"usage: kasse import-catalog FILE.csv"}
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer func() { _ = f.Close() }() // read only
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		n, changes, err := o.ImportCatalog(ctx, f)
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		_, err = fmt.Fprintf(out, "imported %d products from %s (%d price changes journaled)\n", n, args[0], changes)
		return err
	}
}

func cashierCommand(fs *flag.FlagSet) runFunc {
	open := officeFlags(fs, true)
	role := fs.String("role", "cashier", "role of the new cashier: cashier or manager")
	pin := fs.String("pin", os.Getenv("KASSE_PIN"), "the new cashier's PIN, 4-8 digits (default: $KASSE_PIN)")
	manager := fs.Int64("manager", 0, "id of the manager adding the cashier (not needed for the first)")
	managerPIN := fs.String("manager-pin", os.Getenv("KASSE_MANAGER_PIN"), "the manager's PIN (default: $KASSE_MANAGER_PIN)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		words := 1
		if len(args) > 0 && args[0] == "add" {
			words = 2
		}
		args, err := flagsAfter(fs, args, words)
		if err != nil {
			return err
		}
		if len(args) == 0 || (args[0] != "list" && args[0] != "add") || (args[0] == "add") != (len(args) == 2) {
			return usageError{"usage: kasse cashier list | kasse cashier add NAME --role cashier|manager --pin PIN [--manager ID --manager-pin PIN]"}
		}
		o, err := open()
		if err != nil {
			return err
		}
		defer o.Close()
		if args[0] == "add" {
			// The manager logs in as at the till (journaled).
			if *manager != 0 {
				if _, err := o.Login(ctx, *manager, *managerPIN); err != nil {
					return err
				}
			}
			c, err := o.AddCashier(ctx, args[1], *role, *pin)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(out, "added %s (id %d, %s)\n", c.Name, c.ID, c.Role)
			return err
		}
		list, err := o.Cashiers(ctx)
		if err != nil {
			return err
		}
		for _, c := range list {
			state := "active"
			if !c.Active {
				state = "inactive"
			}
			fmt.Fprintf(out, "%4d  %-30s %-8s %s\n", c.ID, c.Name, c.Role, state)
		}
		return nil
	}
}

// driveCommand runs scripted sales through the checkout without windows:
// what `make chaos` kills and restarts.
func driveCommand(fs *flag.FlagSet) runFunc {
	cfg, load := app.ConfigFlags(fs)
	opt := app.DefaultDriveOptions()
	opt.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if err := load(); err != nil {
			return err
		}
		return app.RunDrive(ctx, cfg, opt, out)
	}
}

func hubCommand(fs *flag.FlagSet) runFunc {
	cfg := app.DefaultHubConfig()
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		return app.RunHub(ctx, cfg, log)
	}
}

// logsCommand says where the till's log is, or prints its end.
func logsCommand(fs *flag.FlagSet) runFunc {
	dataDir := fs.String("data-dir", app.DefaultDataDir(), "directory for the database, configuration and logs")
	tail := fs.Int("tail", 0, "print the last N lines of the log")
	follow := fs.Bool("f", false, "keep printing what the till writes to the log (with --tail, after those lines)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		path := app.LogPath(*dataDir)
		if *tail == 0 && !*follow {
			fmt.Fprintln(out, path)
			return nil
		}
		return app.TailLog(ctx, path, *tail, *follow, out)
	}
}

func backupCommand(fs *flag.FlagSet) runFunc {
	cfg, load := app.ConfigFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return usageError{"usage: kasse backup FILE"}
		}
		if err := load(); err != nil {
			return err
		}
		if err := app.Backup(ctx, cfg, args[0]); err != nil {
			return err
		}
		fmt.Fprintf(out, "backed up %s to %s\n", cfg.DataDir, args[0])
		return nil
	}
}

func restoreCommand(fs *flag.FlagSet) runFunc {
	cfg, load := app.ConfigFlags(fs)
	force := fs.Bool("force", false, "restore a backup made by another installation (this till takes over its data)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return usageError{"usage: kasse restore FILE [--force]"}
		}
		if err := load(); err != nil {
			return err
		}
		res, err := app.Restore(ctx, cfg, args[0], *force)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "restored %s into %s: installation %s, %d journal records verified\n", args[0], cfg.DataDir, res.Installation, res.JournalRecords)
		if res.Previous != "" {
			fmt.Fprintf(out, "the database it replaced is kept as %s\n", res.Previous)
		}
		return nil
	}
}
