package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/assets"
	"github.com/kasse-pos/kasse/flow"
)

// Office is a till's back office: who may log in, the X and Z reports, the
// catalogue, the SAF-T export and its keys, the journal's check. The
// cashier window and the command line (kasse report, kasse cashier, …)
// both go through it, with one electronic journal and one cashier session
// each, so a Z report or a cashier added is journaled the same way
// whichever door it came in, and the rules of who may do what live once.
type Office struct {
	cfg     *Config
	db      *store.DB
	journal *flow.ElectronicJournal
	session *flow.CashierSession
	closers []func()
}

// newOffice is the journal and the cashier session of cfg's till on db;
// Start and OpenOffice both build theirs here.
func newOffice(cfg *Config, db *store.DB, log *slog.Logger) *Office {
	j := flow.NewElectronicJournal(db, cfg.Store.POSID, time.Local, nil)
	j.Log = log // a record that could not be written must be seen
	j.Work = db // no Z report while a sale is open or a refund parked
	s := flow.NewCashierSession(db, j, nil)
	s.Lockout = db // wrong PINs count across processes, restarts and the command line
	return &Office{cfg: cfg, db: db, journal: j, session: s}
}

// DatabaseDSN is where cfg's till keeps its database: the configured
// PostgreSQL DSN, else kasse.db in the data directory.
func DatabaseDSN(cfg *Config) string {
	if cfg.Database != "" {
		return cfg.Database
	}
	return filepath.Join(cfg.DataDir, "kasse.db")
}

// OpenOffice opens cfg's till database for a back-office act from the
// command line. Only create may make a new SQLite database (the other
// commands would find it empty). Close logs out whoever logged in and
// closes the database.
func OpenOffice(cfg *Config, create bool) (*Office, error) {
	dsn := DatabaseDSN(cfg)
	if cfg.Database == "" {
		if create {
			if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
				return nil, err
			}
		} else if _, err := os.Stat(dsn); err != nil {
			return nil, fmt.Errorf("no database at %s: %w", dsn, err)
		}
	}
	db, err := store.Open(dsn)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	o := newOffice(cfg, db, log)
	o.closers = append(o.closers, func() {
		if err := db.Close(); err != nil {
			log.Warn("closing the database", "err", err)
		}
	})
	return o, nil
}

// Close logs out (journaled, as at the till) and closes what OpenOffice opened.
func (o *Office) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := o.session.Logout(ctx); err != nil {
		o.journal.Log.Error("electronic journal: logout not journaled", "err", err)
	}
	for i := len(o.closers) - 1; i >= 0; i-- {
		o.closers[i]()
	}
	o.closers = nil
}

// Login logs a cashier in with their PIN, journaled; the acts that follow
// are journaled under them.
func (o *Office) Login(ctx context.Context, id int64, pin string) (flow.Cashier, error) {
	c, err := o.session.Login(ctx, id, pin)
	if err != nil {
		return c, fmt.Errorf("cashier %d: %w", id, err)
	}
	return c, nil
}

// Cashiers lists everyone who may log in (and those who no longer may).
func (o *Office) Cashiers(ctx context.Context) ([]flow.Cashier, error) {
	return o.db.Cashiers(ctx)
}

// AddCashier adds a cashier or a manager (role "cashier" or "manager"): a
// manager must be logged in, except for a new till's first cashier, who
// becomes its manager.
func (o *Office) AddCashier(ctx context.Context, name, role, pin string) (flow.Cashier, error) {
	return o.session.AddCashier(ctx, name, flow.Role(role), pin)
}

// CanCloseDay reports whether the cashier logged in may take the Z report.
func (o *Office) CanCloseDay() bool { return o.session.Require(flow.PermZReport) == nil }

// PeekReport sums the period so far without journaling anything.
func (o *Office) PeekReport(ctx context.Context, kind flow.ReportKind) (flow.Report, error) {
	return o.journal.PeekReport(ctx, kind)
}

// XReport takes (and journals) an X report, under whoever is logged in:
// anyone may look at the day so far.
func (o *Office) XReport(ctx context.Context) (flow.Report, error) {
	return o.journal.XReport(ctx)
}

// ZReport closes the business day; only a manager may.
func (o *Office) ZReport(ctx context.Context) (flow.Report, error) {
	if err := o.session.Require(flow.PermZReport); err != nil {
		return flow.Report{}, err
	}
	return o.journal.ZReport(ctx)
}

// ReportLang is the language reports are printed in: the store's market's
// (nb, da or fi), whatever the cashier reads.
func (o *Office) ReportLang() string {
	switch o.cfg.Vipps.Currency {
	case "DKK":
		return "da"
	case "EUR":
		return "fi"
	}
	return "nb"
}

// ReportText lays a report out for the receipt printer (and the command
// line) in lang ("": the store's, ReportLang).
func (o *Office) ReportText(ctx context.Context, r flow.Report, lang string) (string, error) {
	if lang == "" {
		lang = o.ReportLang()
	}
	inst, err := o.db.Installation(ctx)
	if err != nil {
		return "", err
	}
	words, err := assets.Texts(lang)
	if err != nil {
		return "", err
	}
	h := flow.ReportHeading{ShopName: o.cfg.Store.Name, OrgNumber: o.cfg.Store.OrgNumber, Installation: inst, Location: time.Local, Words: words}
	return r.Text(h, o.cfg.Printer.Width, lang), nil
}

// VerifyJournal checks every till's hash chain; it returns the records
// checked and the number of tills.
func (o *Office) VerifyJournal(ctx context.Context) (records, tills int, err error) {
	n, err := flow.VerifyJournal(ctx, o.db)
	if err != nil {
		return n, 0, err
	}
	heads, err := o.db.JournalHeads(ctx)
	return n, len(heads), err
}

// ExportSAFT writes the journal from first to last (days, included) as
// SAF-T Cash Register XML to file; the export itself is journaled (13020).
func (o *Office) ExportSAFT(ctx context.Context, first, last time.Time, file string) (int, error) {
	c := o.cfg
	opt := saft.Options{Shop: saft.Shop{OrgNumber: c.Store.OrgNumber, Name: c.Store.Name, Address: c.Store.Address, Currency: c.Vipps.Currency},
		From: first, To: last.AddDate(0, 0, 1), Location: time.Local, Created: time.Now(), Software: Version}
	n, err := saft.ExportFile(ctx, o.db, o.db, opt, file)
	if err != nil {
		return n, err
	}
	detail := fmt.Sprintf("SAF-T %s to %s, %d records", first.Format(time.DateOnly), last.Format(time.DateOnly), n)
	return n, o.journal.RecordEvent(ctx, flow.JournalExport, 0, "", 0, detail)
}

// PublicKeys are the SAF-T signing keys the journal holds, of one till or
// ("") of every till, as PEM for an auditor.
func (o *Office) PublicKeys(ctx context.Context, till string, w io.Writer) error {
	keys, err := saft.JournaledKeys(ctx, o.db, till)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return errors.New("no signing keys in the journal yet: a till makes its key on its first start")
	}
	return saft.WritePublicKeys(w, keys)
}

// RotateKey makes this till a new SAF-T signing key version (journaled)
// and writes its public key to w; the till signs with it from its next start.
func (o *Office) RotateKey(ctx context.Context, w io.Writer) (till, version string, err error) {
	ring, err := saft.RotateKey(ctx, filepath.Join(o.cfg.DataDir, saft.KeysDirName), o.journal)
	if err != nil {
		return "", "", err
	}
	return ring.TillID, ring.Version, saft.WritePublicKeys(w, []saft.PublicKey{ring.PublicKey()})
}

// ImportCatalog adds or updates the products of a CSV file (a file with any
// bad line imports nothing); price changes are journaled (13021).
func (o *Office) ImportCatalog(ctx context.Context, r io.Reader) (products, priceChanges int, err error) {
	ps, err := flow.ParseCatalogCSV(r)
	if err != nil {
		return 0, 0, err
	}
	return importProducts(ctx, o.db, o.journal, ps, nil)
}

// importBatch is how many products are stored between progress reports.
const importBatch = 200

// importProducts stores products in batches, journaling each batch's price
// changes (13021): the one way a catalogue comes in, from the command line
// (Office.ImportCatalog) or the set-up assistant. It returns how many were
// stored, and the price changes journaled.
func importProducts(ctx context.Context, db *store.DB, j *flow.ElectronicJournal, ps []flow.Product, progress func(done, total int)) (stored, priceChanges int, err error) {
	for i := 0; i < len(ps); i += importBatch {
		batch := ps[i:min(i+importBatch, len(ps))]
		changes, err := flow.PriceChanges(ctx, db, batch)
		if err != nil {
			return i, priceChanges, err
		}
		if err := db.UpsertProducts(ctx, batch); err != nil {
			return i, priceChanges, fmt.Errorf("storing the catalogue: %w", err)
		}
		if err := j.RecordPriceChanges(ctx, changes); err != nil {
			return i + len(batch), priceChanges, err
		}
		priceChanges += len(changes)
		if progress != nil {
			progress(i+len(batch), len(ps))
		}
	}
	return len(ps), priceChanges, nil
}

// ChainOverview prints every till's open period (since its last Z) and the
// chain's totals: an overview for the office, not a till's X report (it is
// not journaled).
func (o *Office) ChainOverview(ctx context.Context, out io.Writer, lang string) error {
	heads, err := o.db.JournalHeads(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "till\tsales\tamount\treturns\tnet\t")
	var sales, returns flow.Tally
	var net flow.Money
	for _, h := range heads {
		r, err := flow.NewElectronicJournal(o.db, h.TillID, time.Local, nil).PeekReport(ctx, flow.ReportX)
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

// VerifySAFT checks every signature of SAF-T files with the public keys in
// keyFile only, as an auditor would, and says what it found on out.
func VerifySAFT(files []string, keyFile string, continues bool, out io.Writer) error {
	pemData, err := os.ReadFile(keyFile)
	if err != nil {
		return err
	}
	keys, err := saft.ParsePublicKeys(pemData)
	if err != nil {
		return fmt.Errorf("%s: %w", keyFile, err)
	}
	var readers []io.Reader
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return err
		}
		defer func() { _ = fh.Close() }() // read only
		readers = append(readers, fh)
	}
	res, err := saft.VerifySignatures(readers, keys, saft.VerifyOptions{Continues: continues})
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
