// Command chaos proves that kasse never loses money: `kasse sim` runs with
// faults on (5xx, 429 bursts, latency, dropped, duplicated and reordered
// webhooks), several `kasse drive` tills sell against it and are killed
// with SIGKILL at random moments and restarted, bad webhooks are sent to
// their listeners, and in the end the tills' databases are compared with
// the simulator's ledger. It exits 1 on any double or lost capture.
//
//	go run ./app/internal/chaos [-sales 1000] [-tills 8] [-dir D]
//	    [-same-till-id] [-reinstall] [-shared-db DSN]
//
// Besides money over the whole sales unit it checks every till's books:
// each paid sale is exactly one payment of its own, captured once for its
// amount; the electronic journal has a sale record per paid sale; the Z
// total is what Vipps captured for the till; and with webhooks on, most
// authorizations arrive by webhook.
//
// CHAOS_SALES sets the default of -sales.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"syscall"
)

func main() {
	o := DefaultOptions()
	if v, err := strconv.Atoi(os.Getenv("CHAOS_SALES")); err == nil && v > 0 {
		o.Sales = v
	}
	flag.IntVar(&o.Sales, "sales", o.Sales, "paid sales in all (default from CHAOS_SALES, else 1000)")
	flag.IntVar(&o.Tills, "tills", o.Tills, "tills selling at the same time")
	flag.StringVar(&o.Dir, "dir", "", "working directory (default: a new temporary one, kept for inspection)")
	flag.StringVar(&o.Bin, "bin", "", "a built kasse binary (default: build one)")
	flag.Int64Var(&o.Seed, "seed", 0, "seed of faults, scripts and kill times (0: random)")
	flag.DurationVar(&o.KillMin, "kill-min", o.KillMin, "earliest kill after a till starts")
	flag.DurationVar(&o.KillMax, "kill-max", o.KillMax, "latest kill after a till starts")
	flag.IntVar(&o.Kills, "kills", o.Kills, "at most this many kills (-1: no limit)")
	flag.Float64Var(&o.Error5xx, "fault-5xx", o.Error5xx, "share of Vipps calls answered 500")
	flag.DurationVar(&o.LatencyMax, "latency-max", o.LatencyMax, "added latency is uniform in [0, this]")
	flag.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up after this long")
	flag.BoolVar(&o.SameTillID, "same-till-id", false, `every till has the id "pos1": several installations on one sales unit, each with its own database`)
	flag.BoolVar(&o.Reinstall, "reinstall", false, "till 1's database is deleted halfway through its sales and it keeps selling")
	flag.StringVar(&o.SharedDB, "shared-db", "", "PostgreSQL DSN: every till on this one (empty) database, as a chain's tills are")
	flag.BoolVar(&o.Hub, "hub", false, "a kasse hub receives the webhooks and the tills take their events from the shared database (needs -shared-db)")
	flag.DurationVar(&o.HubKillEvery, "hub-kill-every", 0, "SIGKILL and restart the hub about this often (0: never)")
	flag.DurationVar(&o.DBKillEvery, "db-kill-every", 0, "cut every connection to the shared database about this often (0: never)")
	flag.BoolVar(&o.NoFaults, "no-faults", false, "the simulator without faults (the happy path)")
	flag.Float64Var(&o.Mixed, "mixed", o.Mixed, "share of sales paid with cash or card too: part in cash then Vipps, all in cash, all by card")
	flag.Parse()
	if o.Dir == "" {
		d, err := os.MkdirTemp("", "kasse-chaos-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "chaos:", err)
			os.Exit(2)
		}
		o.Dir = d
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chaos:", err)
		fmt.Fprintln(os.Stderr, "chaos: logs are in", o.Dir)
		os.Exit(2)
	}
	res.Print(os.Stdout)
	if res.Failed() {
		fmt.Println("FAIL: money was lost, taken twice or not accounted for, or a till's books disagree with Vipps; logs in", o.Dir)
		os.Exit(1)
	}
	if !res.WebhooksCarried() {
		fmt.Println("FAIL: webhooks did not carry most authorizations; logs in", o.Dir)
		os.Exit(1)
	}
	fmt.Println("OK: every authorized payment captured exactly once, every till's books equal Vipps' ledger; logs in", o.Dir)
}
