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
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kasse-pos/kasse/app"
	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
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
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if err := cfg.Load(*configFile, fs); err != nil {
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

// storeFlags are the flags of the commands that read the till's database;
// only create may make a new SQLite database (the others would find it empty).
func storeFlags(fs *flag.FlagSet, create bool) func() (*app.Config, *store.DB, error) {
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	return func() (*app.Config, *store.DB, error) {
		if err := cfg.Load(*configFile, fs); err != nil {
			return nil, nil, err
		}
		dsn := cfg.Database
		if dsn == "" {
			dsn = filepath.Join(cfg.DataDir, "kasse.db")
			if create {
				if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
					return nil, nil, err
				}
			} else if _, err := os.Stat(dsn); err != nil {
				return nil, nil, fmt.Errorf("no database at %s: %w", dsn, err)
			}
		}
		db, err := store.Open(dsn)
		return cfg, db, err
	}
}

func journalCommand(fs *flag.FlagSet) runFunc {
	open := storeFlags(fs, false)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 || args[0] != "verify" {
			return usageError{"usage: kasse journal verify"}
		}
		_, db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		n, err := flow.VerifyJournal(ctx, db)
		if err != nil {
			return err
		}
		heads, err := db.JournalHeads(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "OK: %d records in %d till journals\n", n, len(heads))
		return nil
	}
}

func reportCommand(fs *flag.FlagSet) runFunc {
	open := storeFlags(fs, false)
	cashier := fs.Int64("cashier", 0, "id of the cashier taking the report (a manager for Z)")
	pin := fs.String("pin", os.Getenv("KASSE_PIN"), "the cashier's PIN (default: $KASSE_PIN)")
	lang := fs.String("report-lang", "nb", "language of the printed report: nb or en")
	chain := fs.Bool("chain", false, "x only: an overview of every till on the (shared) database since its last Z")
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 || (args[0] != "x" && args[0] != "z") || (*chain && args[0] != "x") {
			return usageError{"usage: kasse report x|z [--cashier ID --pin PIN] | kasse report x --chain"}
		}
		cfg, db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		if *chain {
			return chainOverview(ctx, db, out, *lang)
		}
		j := flow.NewElectronicJournal(db, cfg.Store.POSID, time.Local, nil)
		j.Work = db
		if *cashier != 0 || args[0] == "z" {
			session := flow.NewCashierSession(db, nil, nil)
			session.Lockout = db
			c, err := session.Identify(ctx, *cashier, *pin)
			if err == nil && args[0] == "z" && !c.Can(flow.PermZReport) {
				err = flow.ErrNotAllowed
			}
			if err != nil {
				return fmt.Errorf("cashier %d: %w", *cashier, err)
			}
			j.SetCashier(c)
		}
		var r flow.Report
		if args[0] == "z" {
			r, err = j.ZReport(ctx)
		} else {
			r, err = j.XReport(ctx)
		}
		if err != nil {
			return err
		}
		inst, err := db.Installation(ctx)
		if err != nil {
			return err
		}
		_, err = io.WriteString(out, r.Text(flow.ReportHeading{ShopName: cfg.Store.Name, OrgNumber: cfg.Store.OrgNumber, Installation: inst, Location: time.Local}, cfg.Printer.Width, *lang))
		return err
	}
}

func saftCommand(fs *flag.FlagSet) runFunc {
	open := storeFlags(fs, false)
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
		cfg, db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		opt := saft.Options{Shop: saft.Shop{OrgNumber: cfg.Store.OrgNumber, Name: cfg.Store.Name, Address: cfg.Store.Address, Currency: cfg.Vipps.Currency},
			From: first, To: last.AddDate(0, 0, 1), Location: time.Local, Created: time.Now(), Software: app.Version}
		n, err := saft.ExportFile(ctx, db, db, opt, *output)
		if err != nil {
			return err
		}
		// The export itself is a journaled event (13020).
		j := flow.NewElectronicJournal(db, cfg.Store.POSID, time.Local, nil)
		if err := j.RecordEvent(ctx, flow.JournalExport, 0, "", 0, fmt.Sprintf("SAF-T %s to %s, %d records", *from, *to, n)); err != nil {
			return err
		}
		fmt.Fprintf(out, "wrote %s: %d journal records from %s to %s\n", *output, n, *from, *to)
		return nil
	}
}

// importCatalogCommand loads a catalogue file into the till's database
// (creating the database on a new till). A file with any bad line imports
// nothing; every bad line is listed.
func importCatalogCommand(fs *flag.FlagSet) runFunc {
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return usageError{"usage: kasse import-catalog FILE.csv"}
		}
		if err := cfg.Load(*configFile, fs); err != nil {
			return err
		}
		f, err := os.Open(args[0])
		if err != nil {
			return err
		}
		defer f.Close()
		dsn := cfg.Database
		if dsn == "" {
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return err
			}
			dsn = filepath.Join(cfg.DataDir, "kasse.db")
		}
		db, err := store.Open(dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		ps, err := flow.ParseCatalogCSV(f)
		if err != nil {
			return fmt.Errorf("%s: %w", args[0], err)
		}
		// Price changes are journaled (13021) by the till that imports.
		changes, err := flow.PriceChanges(ctx, db, ps)
		if err != nil {
			return err
		}
		if err := db.UpsertProducts(ctx, ps); err != nil {
			return fmt.Errorf("storing the catalogue: %w", err)
		}
		j := flow.NewElectronicJournal(db, cfg.Store.POSID, time.Local, nil)
		if err := j.RecordPriceChanges(ctx, changes); err != nil {
			return err
		}
		fmt.Fprintf(out, "imported %d products from %s (%d price changes journaled)\n", len(ps), args[0], len(changes))
		return nil
	}
}

func cashierCommand(fs *flag.FlagSet) runFunc {
	open := storeFlags(fs, true)
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
		_, db, err := open()
		if err != nil {
			return err
		}
		defer db.Close()
		session := flow.NewCashierSession(db, nil, nil)
		session.Lockout = db
		if args[0] == "add" {
			if *manager != 0 {
				if _, err := session.Login(ctx, *manager, *managerPIN); err != nil {
					return fmt.Errorf("manager %d: %w", *manager, err)
				}
			}
			c, err := session.AddCashier(ctx, args[1], flow.Role(*role), *pin)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "added %s (id %d, %s)\n", c.Name, c.ID, c.Role)
			return nil
		}
		list, err := db.Cashiers(ctx)
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
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	opt := app.DefaultDriveOptions()
	opt.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		if err := noArgs(args); err != nil {
			return err
		}
		if err := cfg.Load(*configFile, fs); err != nil {
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

// chainOverview prints every till's open period (since its last Z) and the
// chain's totals: an overview for the office, not a till's X report (it is
// not journaled).
func chainOverview(ctx context.Context, db *store.DB, out io.Writer, lang string) error {
	heads, err := db.JournalHeads(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "till\tsales\tamount\treturns\tnet\t")
	var sales, returns flow.Tally
	var net flow.Money
	for _, h := range heads {
		r, err := flow.NewElectronicJournal(db, h.TillID, time.Local, nil).PeekReport(ctx, flow.ReportX)
		if err != nil {
			return fmt.Errorf("till %s: %w", h.TillID, err)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", h.TillID, r.Sales.Count, flow.FormatAmount(r.Sales.Amount, lang),
			flow.FormatAmount(r.Returns.Amount, lang), flow.FormatAmount(r.Net, lang))
		sales.Count, sales.Amount = sales.Count+r.Sales.Count, sales.Amount+r.Sales.Amount
		returns.Count, returns.Amount = returns.Count+r.Returns.Count, returns.Amount+r.Returns.Amount
		net += r.Net
	}
	fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t\n", "all", sales.Count, flow.FormatAmount(sales.Amount, lang),
		flow.FormatAmount(returns.Amount, lang), flow.FormatAmount(net, lang))
	return tw.Flush()
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
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return usageError{"usage: kasse backup FILE"}
		}
		if err := cfg.Load(*configFile, fs); err != nil {
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
	cfg := app.DefaultConfig()
	configFile := fs.String("config", "", "configuration file (default: config.json in the data directory)")
	cfg.RegisterFlags(fs)
	force := fs.Bool("force", false, "restore a backup made by another installation (this till takes over its data)")
	return func(ctx context.Context, args []string, out io.Writer) error {
		args, err := flagsAfter(fs, args, 1)
		if err != nil {
			return err
		}
		if len(args) != 1 {
			return usageError{"usage: kasse restore FILE [--force]"}
		}
		if err := cfg.Load(*configFile, fs); err != nil {
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
