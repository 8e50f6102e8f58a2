// Package crashtest proves that settlement survives crashes: a child
// process runs the settlement worker against Vipps (the simulator, over
// HTTP) and is killed with SIGKILL at random moments, then restarted. In
// the end every authorized sale must be captured exactly once and carry
// exactly one receipt — by the simulator's own ledger, not by our records.
package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kasse-pos/kasse/app"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

// Env is what a child needs; it travels in environment variables.
type Env struct {
	DB              string // SQLite path or PostgreSQL DSN
	VippsURL        string // the simulator (or a test environment)
	ClientID        string
	ClientSecret    string
	SubscriptionKey string
	MSN             string
	Lease           time.Duration // how long a claimed job is the child's
}

const envPrefix = "KASSE_CRASHTEST_"

// Environ returns e as environment variables for a child.
func (e Env) Environ() []string {
	return []string{envPrefix + "CHILD=1", envPrefix + "DB=" + e.DB, envPrefix + "VIPPS=" + e.VippsURL,
		envPrefix + "CLIENT_ID=" + e.ClientID, envPrefix + "CLIENT_SECRET=" + e.ClientSecret,
		envPrefix + "SUBSCRIPTION_KEY=" + e.SubscriptionKey, envPrefix + "MSN=" + e.MSN,
		envPrefix + "LEASE=" + e.Lease.String()}
}

// IsChild reports whether this process was started as a crash-test child.
func IsChild() bool { return os.Getenv(envPrefix+"CHILD") == "1" }

// EnvFromOS reads a child's Env.
func EnvFromOS() Env {
	lease, _ := time.ParseDuration(os.Getenv(envPrefix + "LEASE"))
	return Env{DB: os.Getenv(envPrefix + "DB"), VippsURL: os.Getenv(envPrefix + "VIPPS"),
		ClientID: os.Getenv(envPrefix + "CLIENT_ID"), ClientSecret: os.Getenv(envPrefix + "CLIENT_SECRET"),
		SubscriptionKey: os.Getenv(envPrefix + "SUBSCRIPTION_KEY"), MSN: os.Getenv(envPrefix + "MSN"), Lease: lease}
}

// Client is a vipps client for e; few retries of its own, so the worker's
// backoff and the crashes are what is tested.
func (e Env) Client() (*vipps.Client, error) {
	// Many workers talk to one host: keep their connections open rather
	// than dial (and leave TIME_WAIT sockets) for every call.
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 1024
	return vipps.New(vipps.Config{BaseURL: e.VippsURL, ClientID: e.ClientID, ClientSecret: e.ClientSecret,
		SubscriptionKey: e.SubscriptionKey, MSN: e.MSN, CallTimeout: 5 * time.Second, MaxRetries: 1,
		RetryBase: 10 * time.Millisecond, RetryCap: 50 * time.Millisecond, HTTPClient: &http.Client{Transport: tr}})
}

// Settler is the worker as a child runs it: short lease and backoff, so a
// killed child's jobs come back quickly.
func Settler(db *store.DB, c *vipps.Client, lease time.Duration, log *slog.Logger) *flow.Settler {
	s := flow.NewSettler(db, app.NewVippsGateway(c, "", "NOK"), log)
	s.Workers = 8
	s.Lease = lease
	s.CallTimeout = lease * 3 / 4
	s.Idle = 50 * time.Millisecond
	s.Backoff = flow.Backoff{Base: 20 * time.Millisecond, Max: 500 * time.Millisecond}
	return s
}

// RunChild runs the settlement worker until no sale is left unsettled.
func RunChild(ctx context.Context, e Env, logOut io.Writer) error {
	db, err := store.Open(e.DB)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := e.Client()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(logOut, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s := Settler(db, c, e.Lease, log)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-done:
			cancel()
			return err
		case <-tick.C:
		}
		if un, err := db.UnsettledPayments(ctx); err == nil && len(un) == 0 {
			cancel()
			<-done
			return nil
		}
	}
}

// Seed creates n authorized sales of till pos: each payment is created and
// approved at Vipps, then the sale is recorded paid with its settlement jobs
// in one transaction, as the checkout does. It returns the references.
func Seed(ctx context.Context, db *store.DB, c *vipps.Client, pos string, n int) ([]string, error) {
	inst, err := db.Installation(ctx)
	if err != nil {
		return nil, err
	}
	refs := make([]string, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for i := range n {
		s := &flow.Sale{POSID: pos, Currency: "NOK", Stage: flow.StageOpen, Lines: []flow.SaleLine{
			{GTIN: "7038010009457", Name: "Jacket", Quantity: 1, UnitPrice: flow.Money(10000 + 100*i), Discount: flow.Money(i % 7 * 100), VATRate: 25},
			{GTIN: "7040913336684", Name: "Milk", Quantity: 1 + i%3, UnitPrice: 2490, VATRate: 15},
		}}
		if err := db.CreateSale(ctx, s, flow.JournalEntry{To: "open", At: time.Now()}); err != nil {
			return nil, err
		}
		refs[i] = flow.Reference(inst, pos, s.ReceiptSeq, 1)
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := pay(ctx, db, c, s, refs[i]); err != nil {
				errs <- fmt.Errorf("sale %d: %w", s.ID, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	return refs, <-errs
}

func pay(ctx context.Context, db *store.DB, c *vipps.Client, s *flow.Sale, ref string) error {
	var total flow.Money
	for _, l := range s.Lines {
		total += l.Total()
	}
	key := flow.CreateKey(ref, "seeded")
	if _, err := c.CreatePayment(ctx, vipps.CreatePayment{Reference: ref, IdempotencyKey: key,
		Amount: vipps.Amount{Currency: "NOK", Value: int64(total)}, MSISDN: "4791234567", Description: "Crash test sale"}); err != nil {
		return err
	}
	if err := c.ForceApprove(ctx, ref, "4791234567"); err != nil {
		return err
	}
	s.Stage = flow.StagePaid
	s.Payment = &flow.Payment{Reference: ref, Attempt: 1, IdempotencyKey: key, Status: flow.PaymentAuthorized,
		VippsState: flow.VippsAuthorized, Push: true, Amount: total, Authorized: total, CreatedAt: time.Now()}
	return db.SaveSale(ctx, flow.SaleChange{Sale: s, Jobs: flow.SettlementJobs(s.ID, ref, total, time.Now())})
}

// LedgerEntry is the simulator's record of one payment (GET /sim/admin/ledger).
type LedgerEntry struct {
	Reference        string `json:"reference"`
	State            string `json:"state"`
	Authorized       int64  `json:"authorized"`
	Captures         int    `json:"captures"`
	Captured         int64  `json:"captured"`
	Cancelled        int64  `json:"cancelled"` // an authorization released (the reservation given back)
	ReceiptsAttached int    `json:"receiptsAttached"`
}

// Ledger reads the simulator's ledger over HTTP.
func Ledger(ctx context.Context, simURL string) (map[string]LedgerEntry, error) {
	var body struct {
		Payments []LedgerEntry `json:"payments"`
	}
	if err := simAdmin(ctx, "GET", simURL+"/sim/admin/ledger", nil, &body); err != nil {
		return nil, err
	}
	out := make(map[string]LedgerEntry, len(body.Payments))
	for _, e := range body.Payments {
		out[e.Reference] = e
	}
	return out, nil
}

// SetFaults replaces the simulator's fault injection (PUT /sim/admin/faults).
func SetFaults(ctx context.Context, simURL string, faults any) error {
	return simAdmin(ctx, "PUT", simURL+"/sim/admin/faults", faults, nil)
}

func simAdmin(ctx context.Context, method, url string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: HTTP %d: %s", method, url, res.StatusCode, strings.TrimSpace(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
