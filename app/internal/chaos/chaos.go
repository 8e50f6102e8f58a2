package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/kasse-pos/kasse/app/internal/crashtest"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// Options of one chaos run.
type Options struct {
	Sales   int // paid sales in all, spread over the tills
	Tills   int // till processes driving at the same time, each with its own database
	Dir     string
	Bin     string // a built kasse; empty: built into Dir
	Seed    int64
	KillMin time.Duration // a till is SIGKILLed a random time in [KillMin, KillMax] after it starts
	KillMax time.Duration
	Kills   int // at most this many kills in all (-1: no limit)

	// Faults of the simulator.
	Error5xx, TooMany       float64
	LatencyMin, LatencyMax  time.Duration
	Burst429                int           // 429s in a row, every BurstEvery
	BurstEvery              time.Duration // 0: no bursts
	WebhookDrop, WebhookDup float64
	WebhookReorder          float64
	AutoDelay               time.Duration // how long the simulated customer takes to approve
	ForgeEvery              time.Duration // a batch of bad webhooks to each till this often
	Timeout                 time.Duration
	Log                     io.Writer
	webhookSecret           string

	// Modes: where real stores differ from the demo.
	//
	// SameTillID gives every till the id "pos1": several installations on
	// one sales unit, each with a database of its own, whose receipt
	// numbers all start at 1. Reinstall deletes till 1's database halfway
	// through its sales (the till is stopped, settled, and starts again on
	// an empty database, as after a reinstall) and it keeps selling.
	// SharedDB puts every till on one PostgreSQL database (a chain); their
	// ids differ, and each has its webhook listener on.
	SameTillID bool
	Reinstall  bool
	SharedDB   string
	// Hub puts a `kasse hub` process in front of the tills (SharedDB is
	// needed): it receives every webhook and the tills take their events
	// from the database. HubKillEvery SIGKILLs and restarts it that often;
	// DBKillEvery cuts every connection of the tills and the hub to the
	// database that often (pg_terminate_backend). 0: never.
	Hub          bool
	HubKillEvery time.Duration
	DBKillEvery  time.Duration
	// NoFaults turns the simulator's faults off (the happy path).
	NoFaults bool
	// Mixed is the share of sales paid with cash or card too (the
	// driver's -mixed): part in cash then Vipps, all cash, all card.
	Mixed float64
}

// Mode names the run's modes for the log and the table.
func (o Options) Mode() string {
	var m []string
	if o.SameTillID {
		m = append(m, "same till id")
	}
	if o.Reinstall {
		m = append(m, "reinstall")
	}
	if o.SharedDB != "" {
		m = append(m, "shared PostgreSQL")
	}
	if o.Hub {
		m = append(m, "kasse hub")
	}
	if o.HubKillEvery > 0 {
		m = append(m, "hub killed every "+o.HubKillEvery.String())
	}
	if o.DBKillEvery > 0 {
		m = append(m, "database connections cut every "+o.DBKillEvery.String())
	}
	if o.NoFaults {
		m = append(m, "no faults")
	}
	if len(m) == 0 {
		return "own till ids and databases"
	}
	return strings.Join(m, ", ")
}

// DefaultOptions is the full run of `make chaos`.
func DefaultOptions() Options {
	return Options{Sales: 1000, Tills: 20, KillMin: 2 * time.Second, KillMax: 15 * time.Second, Kills: -1,
		Error5xx: 0.2, TooMany: 0.02, LatencyMin: 0, LatencyMax: 2 * time.Second, Burst429: 8, BurstEvery: 15 * time.Second,
		WebhookDrop: 0.1, WebhookDup: 0.1, WebhookReorder: 0.1, AutoDelay: 300 * time.Millisecond,
		ForgeEvery: 4 * time.Second, Timeout: 40 * time.Minute, Log: os.Stderr, Mixed: 0.3}
}

// Result compares the tills' databases with the simulator's ledger.
type Result struct {
	Sales, Target        int // paid sales in the tills' databases
	Voided               int
	PaidOtherwise        int // paid in cash or by card alone: nothing at Vipps
	Authorized           int // payments Vipps authorized
	CapturedOnce         int // exactly one full capture
	DoubleCaptures       int // more than one capture, or more captured than authorized
	LostCaptures         int // authorized at Vipps, never captured nor released
	Released             int // authorized, then cancelled (the customer is not charged)
	PaidNotAuthorized    int // paid in the till, not authorized at Vipps
	AmountMismatch       int // the till's amount differs from what was captured
	OrphanReceipts       int // a receipt at Vipps for a payment the till has not paid
	MissingReceipts      int // paid sale without a receipt at Vipps
	Kills, Restarts      int
	HubKills             int
	FailedLives          int        // kasse drive ended with an error (e.g. could not register its webhook) and was restarted
	WebhooksSent         ForgeCount // bad deliveries sent to the tills' listeners
	WebhooksRejected     ForgeCount // as counted by the tills
	RealWebhooksAccepted int64
	AuthByWebhook        int // authorizations the tills took from a webhook
	AuthByPoll           int // … from polling, the till running all along
	AuthAfterRestart     int // … read back at start: the request spanned a restart of its till
	Foreign              int // a sale paid with a payment that is not its till's
	JournalMismatch      int // tills whose electronic journal's sale records ≠ their paid sales
	ZMismatch            int // tills whose Z total ≠ what Vipps captured for them
	Tills                []TillResult
	Mode                 string
	Interrupted          bool // the hub was killed or the database cut on purpose
	Elapsed              time.Duration
	Problems             []string // one line per lost or double capture, for the person reading the logs
}

// TillResult is one till's books beside what Vipps holds for it.
type TillResult struct {
	Name             string // till1, till2, …
	POSID            string
	Databases        int // more than one after a reinstall
	Paid             int // paid sales in its database(s)
	Payments         int // distinct Vipps payments those sales were paid with
	CapturedOnce     int // of those, captured exactly once, in full, for the sale's amount
	Foreign          int // paid with a payment another till or installation made
	JournalSales     int // sale records in its electronic journal
	ZTotal           int64
	Captured         int64 // what Vipps captured for its sales
	AuthByWebhook    int
	AuthByPoll       int
	AuthAfterRestart int // read back by a till started again while the request was open
}

// Failed reports whether money was lost or taken twice, or a till's books
// disagree with Vipps.
func (r Result) Failed() bool {
	return r.DoubleCaptures > 0 || r.LostCaptures > 0 || r.PaidNotAuthorized > 0 || r.AmountMismatch > 0 || r.Sales < r.Target ||
		r.Foreign > 0 || r.JournalMismatch > 0 || r.ZMismatch > 0
}

// WebhooksCarried reports whether webhooks did their job: genuine
// deliveries were accepted and most authorizations of tills that ran all
// along arrived by webhook (or through the hub), not by polling. One read
// back by a till started again while its request was open could not have
// come by webhook (the delivery went to the process that died). A run that
// kills the hub or cuts the database connections on purpose only asks that
// some did.
func (r Result) WebhooksCarried() bool {
	if r.Interrupted {
		return r.AuthByWebhook > 0
	}
	return r.RealWebhooksAccepted > 0 && r.AuthByWebhook > r.AuthByPoll
}

// ForgeCount counts bad webhook deliveries by kind.
type ForgeCount struct{ Forged, Tampered, Stale, Replayed int64 }

func (f ForgeCount) Total() int64 { return f.Forged + f.Tampered + f.Stale + f.Replayed }

func (f *ForgeCount) add(o ForgeCount) {
	f.Forged += o.Forged
	f.Tampered += o.Tampered
	f.Stale += o.Stale
	f.Replayed += o.Replayed
}

// Print writes the result as a table.
func (r Result) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(name string, v any) { fmt.Fprintf(tw, "%s\t%v\t\n", name, v) }
	row("sales (paid in the tills' databases)", fmt.Sprintf("%d of %d", r.Sales, r.Target))
	row("sales voided", r.Voided)
	row("authorized at Vipps", r.Authorized)
	row("captured exactly once", r.CapturedOnce)
	row("paid in cash or by card alone", r.PaidOtherwise)
	row("double captures", r.DoubleCaptures)
	row("lost captures", r.LostCaptures)
	row("authorized, then released", r.Released)
	row("paid in till, not authorized", r.PaidNotAuthorized)
	row("amount mismatches", r.AmountMismatch)
	row("orphan receipts", r.OrphanReceipts)
	row("missing receipts", r.MissingReceipts)
	row("SIGKILLs / restarts", fmt.Sprintf("%d / %d", r.Kills, r.Restarts))
	if r.HubKills > 0 {
		row("hub SIGKILLs", r.HubKills)
	}
	row("till exits with an error", r.FailedLives)
	row("forged webhooks rejected", fmt.Sprintf("%d of %d", r.WebhooksRejected.Forged, r.WebhooksSent.Forged))
	row("tampered webhooks rejected", fmt.Sprintf("%d of %d", r.WebhooksRejected.Tampered, r.WebhooksSent.Tampered))
	row("stale webhooks rejected", fmt.Sprintf("%d of %d", r.WebhooksRejected.Stale, r.WebhooksSent.Stale))
	row("replayed webhooks caught", fmt.Sprintf("%d of %d", r.WebhooksRejected.Replayed, r.WebhooksSent.Replayed))
	row("genuine webhooks accepted", r.RealWebhooksAccepted)
	row("authorizations by webhook / polling / read back after a restart", fmt.Sprintf("%d / %d / %d", r.AuthByWebhook, r.AuthByPoll, r.AuthAfterRestart))
	row("foreign payments taken as paid", r.Foreign)
	row("tills with journal ≠ sales", r.JournalMismatch)
	row("tills with Z ≠ captured", r.ZMismatch)
	row("mode", r.Mode)
	row("elapsed", r.Elapsed.Round(time.Second))
	tw.Flush()
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "till\tid\tdbs\tpaid\tpayments\tcaptured once\tforeign\tjournal sales\tZ total\tcaptured\tauth webhook/poll/restart\t")
	for _, t := range r.Tills {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d/%d/%d\t\n", t.Name, t.POSID, t.Databases, t.Paid, t.Payments,
			t.CapturedOnce, t.Foreign, t.JournalSales, t.ZTotal, t.Captured, t.AuthByWebhook, t.AuthByPoll, t.AuthAfterRestart)
	}
	tw.Flush()
	slices.Sort(r.Problems)
	for _, p := range r.Problems {
		fmt.Fprintln(w, p)
	}
}

// Run builds (if needed) and starts the simulator and the tills, kills and
// restarts tills until all sales are paid and settled, then compares.
func Run(ctx context.Context, o Options) (Result, error) {
	start := time.Now()
	res := Result{Target: o.Sales}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return res, err
	}
	if o.Bin == "" {
		o.Bin = filepath.Join(o.Dir, "kasse")
		if err := Build(ctx, o.Bin); err != nil {
			return res, err
		}
	}
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Tills <= 0 {
		o.Tills = 1
	}
	if o.Tills > o.Sales {
		o.Tills = max(1, o.Sales)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	fmt.Fprintf(o.Log, "chaos: %d sales on %d tills (%s), seed %d, in %s\n", o.Sales, o.Tills, o.Mode(), o.Seed, o.Dir)
	res.Mode = o.Mode()
	res.Interrupted = o.HubKillEvery > 0 || o.DBKillEvery > 0

	o.webhookSecret = fmt.Sprintf("chaos-webhook-secret-%d", o.Seed)
	if o.NoFaults {
		o.Error5xx, o.TooMany, o.LatencyMax, o.Burst429, o.WebhookDrop, o.WebhookDup, o.WebhookReorder = 0, 0, 0, 0, 0, 0, 0
	}
	if o.Hub && o.SharedDB == "" {
		return res, errors.New("chaos: the hub needs the chain's PostgreSQL (-shared-db)")
	}
	simURL, stopSim, err := startSim(ctx, o)
	if err != nil {
		return res, err
	}
	defer stopSim()
	var hub *hubProc
	if o.Hub {
		if hub, err = startHub(ctx, o, simURL); err != nil {
			return res, err
		}
		defer hub.stop()
		if o.HubKillEvery > 0 {
			go hub.killEvery(ctx, o.HubKillEvery, rand.New(rand.NewPCG(uint64(o.Seed), 99)))
		}
	}
	if o.DBKillEvery > 0 {
		go cutConnections(ctx, o, rand.New(rand.NewPCG(uint64(o.Seed), 98)))
	}

	var (
		mu       sync.Mutex
		kills    int
		firstErr error
		wg       sync.WaitGroup
	)
	tills := make([]*till, o.Tills)
	for i := range tills {
		n := o.Sales / o.Tills
		if i < o.Sales%o.Tills {
			n++
		}
		port, err := freePort()
		if err != nil {
			return res, err
		}
		tills[i] = &till{o: &o, n: i + 1, sales: n, dir: filepath.Join(o.Dir, fmt.Sprintf("till%d", i+1)),
			listen: fmt.Sprintf("127.0.0.1:%d", port), simURL: simURL,
			rng: rand.New(rand.NewPCG(uint64(o.Seed), uint64(i+1))),
			mayKill: func() bool {
				mu.Lock()
				defer mu.Unlock()
				if o.Kills >= 0 && kills >= o.Kills {
					return false
				}
				kills++
				return true
			}}
		wg.Go(func() {
			if err := tills[i].run(ctx); err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("till %d: %w", i+1, err)
				}
				mu.Unlock()
				cancel()
			}
		})
	}
	if o.BurstEvery > 0 && o.Burst429 > 0 {
		selling := func() int {
			n := 0
			for _, t := range tills {
				if !t.finished.Load() {
					n++
				}
			}
			return n
		}
		go bursts(ctx, simURL, o, len(tills), selling)
	}
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	for _, t := range tills {
		res.Kills += t.kills
		res.Restarts += t.starts - 1
		res.FailedLives += t.failed
		res.WebhooksSent.add(t.sent)
		res.WebhooksRejected.add(t.rejected)
		res.RealWebhooksAccepted += t.accepted
	}
	if hub != nil {
		hub.mu.Lock()
		res.HubKills = hub.kills
		hub.mu.Unlock()
		var hh struct {
			Units []struct {
				Verified, Refused int64
			} `json:"salesUnits"`
		}
		if err := getJSON(context.WithoutCancel(ctx), "http://"+hub.addr+"/healthz", &hh); err == nil {
			for _, u := range hh.Units {
				res.RealWebhooksAccepted += u.Verified
			}
		}
	}
	err = compare(context.WithoutCancel(ctx), simURL, tills, &res)
	res.Elapsed = time.Since(start)
	return res, err
}

// Build compiles kasse into bin.
func Build(ctx context.Context, bin string) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("building kasse: %w", err)
	}
	return nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the kasse module")
	}
	return filepath.Dir(mod), nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startSim runs `kasse sim` as a process of its own with the faults on.
func startSim(ctx context.Context, o Options) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logf, err := os.Create(filepath.Join(o.Dir, "sim.log"))
	if err != nil {
		return "", nil, err
	}
	args := []string{"sim", "--addr", addr, "--http-webhooks", "--auto", "approve", "--auto-delay", o.AutoDelay.String(),
		"--webhook-secret", o.webhookSecret, "--seed", strconv.FormatInt(o.Seed, 10),
		"--fault-5xx", fmt.Sprint(o.Error5xx), "--fault-429", fmt.Sprint(o.TooMany),
		"--webhook-drop", fmt.Sprint(o.WebhookDrop), "--webhook-duplicate", fmt.Sprint(o.WebhookDup),
		"--webhook-reorder", fmt.Sprint(o.WebhookReorder)}
	if o.LatencyMax > 0 {
		args = append(args, "--fault-latency", o.LatencyMin.String()+"-"+o.LatencyMax.String())
	}
	cmd := exec.Command(o.Bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		logf.Close()
	}
	url := "http://" + addr
	for deadline := time.Now().Add(15 * time.Second); ; {
		if _, err := crashtest.Ledger(ctx, url); err == nil {
			return url, stop, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			stop()
			return "", nil, errors.New("the simulator did not come up; see sim.log")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// bursts makes every API answer 429 for the next calls, every BurstEvery,
// on top of the other faults. A burst is counted in calls, so it is scaled
// to the tills still selling: Burst429 calls while all of them are, fewer
// as they finish, none once every sale is paid (the random 429s go on). A
// full-size burst every few seconds would otherwise swallow every call of
// the last till settling its last sale, which no real rate limit does.
func bursts(ctx context.Context, simURL string, o Options, tills int, selling func() int) {
	t := time.NewTicker(o.BurstEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var f sim.Faults
		if err := getJSON(ctx, simURL+"/sim/admin/faults", &f); err != nil {
			continue
		}
		n := (o.Burst429*selling() + tills - 1) / tills
		if n == 0 {
			continue
		}
		e := f.Endpoints["*"]
		e.Burst429 = n
		f.Endpoints["*"] = e
		_ = crashtest.SetFaults(ctx, simURL, f)
	}
}

func getJSON(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: HTTP %d", url, res.StatusCode)
	}
	return json.NewDecoder(res.Body).Decode(out)
}

// drainKills is how often a till is killed after its last sale was paid.
const drainKills = 3

// till is one driving till process, killed and restarted.
type till struct {
	o                   *Options
	n, sales            int
	dir, listen, simURL string
	rng                 *rand.Rand
	mayKill             func() bool
	target              int         // paid sales this database must reach (a reinstall starts again)
	reinstalled         []string    // databases of earlier installations, kept for the comparison
	finished            atomic.Bool // every sale paid and settled

	mu         sync.Mutex // held while bad webhooks are in flight: no kill then
	starts     int
	kills      int
	failed     int // lives that ended in an error of kasse drive
	drainKills int
	sent       ForgeCount
	rejected   ForgeCount // summed over the lives of the process
	accepted   int64
	life       driveStatus // the current life's last status
}

// driveStatus is app.DriveStatus as the status file has it.
type driveStatus struct {
	PID             int    `json:"pid"`
	Paid            int    `json:"paid"`
	Done            bool   `json:"done"`
	ReferencePrefix string `json:"referencePrefix"`
	Webhooks        struct {
		Accepted, Forged, Tampered, Stale, Replayed, Malformed int64
	} `json:"webhooks"`
}

func (t *till) statusFile() string { return filepath.Join(t.dir, "drive-status.json") }

func (t *till) readStatus() (driveStatus, bool) {
	var st driveStatus
	b, err := os.ReadFile(t.statusFile())
	if err != nil || json.Unmarshal(b, &st) != nil {
		return st, false
	}
	return st, true
}

// endLife adds what the listener of a process that ended had counted.
func (t *till) endLife() {
	w := t.life.Webhooks
	t.rejected.add(ForgeCount{Forged: w.Forged, Tampered: w.Tampered, Stale: w.Stale, Replayed: w.Replayed})
	t.accepted += w.Accepted
	t.life = driveStatus{}
}

// posID is the till's id: its own, or "pos1" for all in SameTillID mode.
func (t *till) posID() string {
	if t.o.SameTillID {
		return "pos1"
	}
	return fmt.Sprintf("chaos%d", t.n)
}

// databases are the till's databases (DSNs), the current one last.
func (t *till) databases() []string {
	if t.o.SharedDB != "" {
		return []string{t.o.SharedDB}
	}
	return append(slices.Clone(t.reinstalled), filepath.Join(t.dir, "kasse.db"))
}

func (t *till) run(ctx context.Context) error {
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return err
	}
	conf := fmt.Sprintf(`{"store":{"name":"Chaos %d","orgNumber":"999999999","posID":%q}}`, t.n, t.posID())
	if err := os.WriteFile(filepath.Join(t.dir, "config.json"), []byte(conf), 0o600); err != nil {
		return err
	}
	out, err := os.OpenFile(filepath.Join(t.dir, "drive.out"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer out.Close()
	phases := []int{t.sales}
	if t.o.Reinstall && t.n == 1 && t.sales >= 2 {
		phases = []int{t.sales / 2, t.sales - t.sales/2}
	}
	for i, n := range phases {
		if i > 0 {
			if err := t.reinstall(i); err != nil {
				return err
			}
		}
		t.target, t.drainKills = n, 0
		if err := t.runPhase(ctx, out); err != nil {
			return err
		}
	}
	t.finished.Store(true)
	return nil
}

// reinstall moves the till's database away, as a reinstall (or a new
// disk) loses it; the copy is only kept for the comparison at the end.
func (t *till) reinstall(n int) error {
	old := filepath.Join(t.dir, fmt.Sprintf("reinstalled-%d", n))
	if err := os.MkdirAll(old, 0o700); err != nil {
		return err
	}
	for _, f := range []string{"kasse.db", "kasse.db-wal", "kasse.db-shm"} {
		if err := os.Rename(filepath.Join(t.dir, f), filepath.Join(old, f)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	t.reinstalled = append(t.reinstalled, filepath.Join(old, "kasse.db"))
	fmt.Fprintf(t.o.Log, "chaos: till %d reinstalled (database deleted) after %d sales\n", t.n, t.target)
	return nil
}

// runPhase runs kasse drive on the current database until it has t.target
// paid and settled sales, killing and restarting it on the way.
func (t *till) runPhase(ctx context.Context, out *os.File) error {
	for failures := 0; ; {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		_ = os.Remove(t.statusFile())
		args := []string{"drive", "--data-dir", t.dir, "--vipps-env", "simulator", "--vipps-url", t.simURL,
			"--sales", strconv.Itoa(t.target), "--seed", strconv.FormatInt(t.rng.Int64(), 10),
			"--sale-timeout", "2m", "--drain", "10m", "--mixed", strconv.FormatFloat(t.o.Mixed, 'f', -1, 64)}
		if t.o.Hub {
			args = append(args, "--webhook-via", "hub")
		} else {
			args = append(args, "--webhook-listen", t.listen)
		}
		if t.o.SharedDB != "" {
			args = append(args, "--db", t.o.SharedDB)
		}
		cmd := exec.Command(t.o.Bin, args...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			return err
		}
		t.starts++
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		killAt := time.NewTimer(t.o.KillMin + time.Duration(t.rng.Int64N(int64(t.o.KillMax-t.o.KillMin)+1)))
		forge := time.NewTicker(max(t.o.ForgeEvery, 100*time.Millisecond))
		var werr error
	life:
		for {
			select {
			case <-ctx.Done():
				_ = cmd.Process.Kill()
				<-exited
				killAt.Stop()
				forge.Stop()
				return ctx.Err()
			case werr = <-exited:
				break life
			case <-forge.C:
				if t.o.ForgeEvery > 0 && !t.o.Hub {
					t.forgeBatch(ctx)
				}
			case <-killAt.C:
				st, ok := t.readStatus()
				if ok && st.Done {
					continue // draining is over; let it end on its own
				}
				// Once all its sales are paid, a till is killed a few more
				// times while settling, then left to drain: a job claimed
				// by a killed worker is leased for minutes, and a till
				// killed every few seconds forever would never get it back.
				if ok && st.Paid >= t.target {
					if t.drainKills >= drainKills {
						continue
					}
					t.drainKills++
				}
				if !t.mayKill() {
					continue
				}
				t.mu.Lock()
				_ = cmd.Process.Signal(syscall.SIGKILL)
				t.kills++
				t.mu.Unlock()
				werr = <-exited
				break life
			}
		}
		killAt.Stop()
		forge.Stop()
		if st, ok := t.readStatus(); ok && st.PID == cmd.Process.Pid {
			t.life = st
		}
		t.endLife()
		if werr == nil {
			return nil
		}
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ProcessState.Sys().(syscall.WaitStatus).Signaled() {
			failures = 0
			continue // our SIGKILL
		}
		// A till that gives up (e.g. Vipps unreachable at start under
		// faults) is restarted as a person would; a till that fails
		// again and again is a failure of the run.
		t.failed++
		if failures++; failures > 20 {
			return fmt.Errorf("kasse drive keeps failing (%v); see %s", werr, filepath.Join(t.dir, "drive.out"))
		}
	}
}

// forgeBatch sends the till's listener one forged, one body-tampered, one
// stale and one replayed delivery, and waits until its counters show them.
func (t *till) forgeBatch(ctx context.Context) {
	t.mu.Lock()
	defer t.mu.Unlock()
	before, ok := t.readStatus()
	if !ok || before.PID == 0 {
		return // not listening yet
	}
	ref, amount := t.knownReference(ctx)
	if ref == "" {
		return
	}
	url := "http://" + t.listen + "/vipps/webhook"
	now := time.Now()
	body := func(psp string) []byte {
		b, _ := json.Marshal(vipps.PaymentEvent{MSN: "123456", Reference: ref, PSPReference: psp, Name: "AUTHORIZED",
			Amount: vipps.Amount{Currency: "NOK", Value: amount}, Timestamp: now, Success: true})
		return b
	}
	psp := fmt.Sprintf("chaos-%d-%d", t.n, now.UnixNano())
	var sent ForgeCount
	// Forged: signed with a key that is not the registration's secret.
	if h, err := vipps.SignWebhook(url, "not-the-secret", body(psp+"-f"), now); err == nil && post(ctx, url, h, body(psp+"-f")) == http.StatusUnauthorized {
		sent.Forged++
	}
	// Tampered: a genuine signature, then the amount changed in transit.
	if h, err := vipps.SignWebhook(url, t.o.webhookSecret, body(psp+"-t"), now); err == nil {
		b := bytes.Replace(body(psp+"-t"), []byte(`"value":`), []byte(`"value":9`), 1)
		if post(ctx, url, h, b) == http.StatusUnauthorized {
			sent.Tampered++
		}
	}
	// Stale: a genuine delivery from 20 minutes ago.
	if h, err := vipps.SignWebhook(url, t.o.webhookSecret, body(psp+"-s"), now.Add(-20*time.Minute)); err == nil && post(ctx, url, h, body(psp+"-s")) == http.StatusUnauthorized {
		sent.Stale++
	}
	// Replayed: a genuine delivery sent again byte for byte.
	if h, err := vipps.SignWebhook(url, t.o.webhookSecret, body(psp+"-r"), now); err == nil {
		first := post(ctx, url, h, body(psp+"-r"))
		again := post(ctx, url, h, body(psp+"-r"))
		if first == http.StatusOK && again == http.StatusOK {
			sent.Replayed++
		}
	}
	t.sent.add(sent)
	// The counters reach the status file within a few hundred ms.
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, ok := t.readStatus()
		if ok && st.PID == before.PID && st.Webhooks.Forged+st.Webhooks.Tampered+st.Webhooks.Stale+st.Webhooks.Replayed >=
			before.Webhooks.Forged+before.Webhooks.Tampered+before.Webhooks.Stale+before.Webhooks.Replayed+sent.Total() {
			t.life = st
			return
		}
	}
	if st, ok := t.readStatus(); ok && st.PID == before.PID {
		t.life = st
	}
}

// knownReference is a payment of this till that Vipps has authorized: a
// replay of its AUTHORIZED event is genuine and changes nothing.
func (t *till) knownReference(ctx context.Context) (string, int64) {
	st, ok := t.readStatus()
	if !ok || st.ReferencePrefix == "" {
		return "", 0
	}
	ledger, err := crashtest.Ledger(ctx, t.simURL)
	if err != nil {
		return "", 0
	}
	prefix := st.ReferencePrefix
	for ref, e := range ledger {
		if strings.HasPrefix(ref, prefix) && e.Authorized > 0 {
			return ref, e.Authorized
		}
	}
	return "", 0
}

func post(ctx context.Context, url string, h http.Header, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	for k, v := range h {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// compare reads every till's database(s) and the simulator's ledger: money
// over the whole sales unit, and each till's books on their own.
func compare(ctx context.Context, simURL string, tills []*till, res *Result) error {
	ledger, err := crashtest.Ledger(ctx, simURL)
	if err != nil {
		return fmt.Errorf("reading the ledger: %w", err)
	}
	paidBy := map[string][]string{} // reference → the tills (and databases) that took it as a sale's payment
	paid := map[string]int64{}      // reference → amount a till recorded as authorized
	for _, t := range tills {
		tr := TillResult{Name: fmt.Sprintf("till%d", t.n), POSID: t.posID()}
		for _, dsn := range t.databases() {
			if err := t.books(ctx, dsn, ledger, &tr, res, paidBy, paid); err != nil {
				return fmt.Errorf("%s (%s): %w", tr.Name, dsn, err)
			}
			tr.Databases++
		}
		if tr.JournalSales != tr.Paid {
			res.JournalMismatch++
			res.Problems = append(res.Problems, fmt.Sprintf("%s: %d sale records in the electronic journal for %d paid sales", tr.Name, tr.JournalSales, tr.Paid))
		}
		if tr.ZTotal != tr.Captured {
			res.ZMismatch++
			res.Problems = append(res.Problems, fmt.Sprintf("%s: Z total %d, Vipps captured %d for its sales", tr.Name, tr.ZTotal, tr.Captured))
		}
		res.AuthByWebhook += tr.AuthByWebhook
		res.AuthByPoll += tr.AuthByPoll
		res.AuthAfterRestart += tr.AuthAfterRestart
		res.Tills = append(res.Tills, tr)
	}
	for ref, by := range paidBy {
		if len(by) > 1 {
			res.Foreign += len(by) - 1
			res.Problems = append(res.Problems, fmt.Sprintf("foreign payment: %s is the payment of sales in %s", ref, strings.Join(by, " and ")))
		}
	}
	for ref, e := range ledger {
		if e.Authorized == 0 {
			if e.ReceiptsAttached > 0 {
				res.OrphanReceipts++
			}
			continue
		}
		res.Authorized++
		amount, isPaid := paid[ref]
		switch {
		case e.Captures > 1 || e.Captured > e.Authorized:
			res.DoubleCaptures++
			res.Problems = append(res.Problems, fmt.Sprintf("double capture: %s captured %d times, %d of %d", ref, e.Captures, e.Captured, e.Authorized))
		case e.Captures == 1 && e.Captured == e.Authorized:
			res.CapturedOnce++
		case e.State == "CANCELLED" || e.State == "TERMINATED" || e.Cancelled >= e.Authorized:
			res.Released++
		default:
			res.LostCaptures++
			res.Problems = append(res.Problems, fmt.Sprintf("lost capture: %s is %s at Vipps with %d authorized, captured %d", ref, e.State, e.Authorized, e.Captured))
		}
		if isPaid && amount != e.Captured {
			res.AmountMismatch++
		}
		if !isPaid && e.ReceiptsAttached > 0 {
			res.OrphanReceipts++
		}
		if isPaid && e.ReceiptsAttached == 0 {
			res.MissingReceipts++
		}
	}
	for ref := range paid {
		if e, ok := ledger[ref]; !ok || e.Authorized == 0 {
			res.PaidNotAuthorized++
		}
	}
	return nil
}

// books adds what one database holds for till t: its paid sales and their
// payments at Vipps, its electronic journal, its Z total and how its
// authorizations arrived.
func (t *till) books(ctx context.Context, dsn string, ledger map[string]crashtest.LedgerEntry, tr *TillResult, res *Result,
	paidBy map[string][]string, paid map[string]int64) error {
	db, err := store.Open(dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	inst, err := db.Installation(ctx)
	if err != nil {
		return err
	}
	prefix := flow.ReferencePrefix(inst, t.posID())
	stages, err := db.SaleStages(ctx, t.posID())
	if err != nil {
		return err
	}
	res.Voided += stages[flow.StageCancelled]
	sales, err := db.PaidSales(ctx, t.posID())
	if err != nil {
		return err
	}
	refs := map[string]bool{}
	for _, s := range sales {
		tr.Paid++
		res.Sales++
		if s.Reference == "" && s.Others >= s.Total {
			res.PaidOtherwise++ // cash or card: nothing of it at Vipps
			continue
		}
		if s.Reference == "" {
			res.Problems = append(res.Problems, fmt.Sprintf("%s: sale %d is paid without an authorized payment", tr.Name, s.ID))
			res.PaidNotAuthorized++
			continue
		}
		refs[s.Reference] = true
		paidBy[s.Reference] = append(paidBy[s.Reference], tr.Name+"@"+filepath.Base(filepath.Dir(dsn)))
		paid[s.Reference] = s.Authorized
		e := ledger[s.Reference]
		switch {
		case !strings.HasPrefix(s.Reference, prefix):
			tr.Foreign++
			res.Foreign++
			res.Problems = append(res.Problems, fmt.Sprintf("foreign payment: %s's sale %d is paid with %s, not one of its own references (%s…)", tr.Name, s.ID, s.Reference, prefix))
		case e.Captures == 1 && e.Captured == s.Total-s.Others && e.Authorized == s.Total-s.Others:
			// The Vipps part: the whole sale, or what was left after cash.
			tr.CapturedOnce++
		}
		tr.Captured += e.Captured
	}
	tr.Payments += len(refs)
	journalSales, err := db.JournalEvents(ctx, t.posID(), flow.JournalSale)
	if err != nil {
		return err
	}
	tr.JournalSales += journalSales
	z, err := flow.NewElectronicJournal(db, t.posID(), time.Local, nil).PeekReport(ctx, flow.ReportZ)
	if err != nil {
		return err
	}
	// The Z's Vipps total (a sale paid partly in cash counts only its
	// Vipps part) must be what Vipps captured.
	tr.ZTotal += int64(z.PaymentAmount(flow.TenderVipps))
	// How each authorization arrived; one whose request spanned a restart
	// of the till can only have come by the read-back at start (the
	// webhook went to the registration of the process that died).
	starts, err := db.JournalEventTimes(ctx, t.posID(), flow.JournalAppStart)
	if err != nil {
		return err
	}
	entries, err := db.PaymentSteps(ctx, t.posID())
	if err != nil {
		return err
	}
	requested := map[string]time.Time{}
	for _, e := range entries {
		if strings.HasPrefix(e.Detail, "payment requested") {
			requested[e.Reference] = e.At
			continue
		}
		restarted := false
		from := requested[e.Reference].UnixMicro()
		for _, at := range starts {
			restarted = restarted || (at.UnixMicro() > from && at.UnixMicro() < e.At.UnixMicro())
		}
		switch {
		case strings.Contains(e.Detail, "(from webhook)") || strings.Contains(e.Detail, "(from hub)"):
			tr.AuthByWebhook++
		case restarted:
			tr.AuthAfterRestart++
		default:
			tr.AuthByPoll++
		}
	}
	return nil
}

// hubProc is the `kasse hub` process of a hub run, restarted after a kill.
type hubProc struct {
	addr  string
	mu    sync.Mutex
	cmd   *exec.Cmd
	start func() (*exec.Cmd, error)
	kills int
}

func startHub(ctx context.Context, o Options, simURL string) (*hubProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(o.Dir, "hub.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	d := sim.DefaultConfig()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	h := &hubProc{addr: addr}
	h.start = func() (*exec.Cmd, error) {
		cmd := exec.Command(o.Bin, "hub", "--listen", addr, "--public-url", "http://"+addr+"/vipps", "--db", o.SharedDB,
			"--msn", d.MSN, "--vipps-url", simURL, "--client-id", d.ClientID)
		cmd.Env = append(os.Environ(), "KASSE_VIPPS_CLIENT_SECRET="+d.ClientSecret, "KASSE_VIPPS_SUBSCRIPTION_KEY="+d.SubscriptionKey)
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() { _ = cmd.Wait() }()
		// Ready once its health says the webhook is registered.
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(50 * time.Millisecond) {
			var hh struct {
				OK bool `json:"ok"`
			}
			if err := getJSON(ctx, "http://"+addr+"/healthz", &hh); err == nil && hh.OK {
				break
			}
		}
		return cmd, nil
	}
	if h.cmd, err = h.start(); err != nil {
		return nil, err
	}
	return h, nil
}

func (h *hubProc) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cmd != nil && h.cmd.Process != nil {
		_ = h.cmd.Process.Signal(syscall.SIGTERM)
	}
}

// killEvery SIGKILLs the hub at random moments (mean every) and starts it again.
func (h *hubProc) killEvery(ctx context.Context, every time.Duration, rng *rand.Rand) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(jittered(every, rng)):
		}
		h.mu.Lock()
		_ = h.cmd.Process.Kill()
		h.kills++
		cmd, err := h.start()
		if err == nil {
			h.cmd = cmd
		}
		h.mu.Unlock()
	}
}

// cutConnections ends every other connection to the chain's database at
// random moments (mean every): tills and the hub lose their pools and the
// tills their LISTEN, as when the database restarts or a network drops.
func cutConnections(ctx context.Context, o Options, rng *rand.Rand) {
	db, err := store.Open(o.SharedDB)
	if err != nil {
		return
	}
	defer db.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(jittered(o.DBKillEvery, rng)):
		}
		if err := db.CutConnections(ctx); err != nil {
			fmt.Fprintln(o.Log, "chaos: cutting the database's connections failed:", err)
			continue
		}
		fmt.Fprintln(o.Log, "chaos: cut every connection to the database")
	}
}

// jittered is a random wait in [d/2, 3d/2): about every d on average.
func jittered(d time.Duration, rng *rand.Rand) time.Duration {
	return d/2 + time.Duration(rng.Int64N(int64(d)))
}
