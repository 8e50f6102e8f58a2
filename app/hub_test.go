package app

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/internal/drive"
	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/app/store/storetest"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// A chain behind `kasse hub`: the hub receives every webhook of the sales
// unit, stores it in the shared PostgreSQL and wakes the tills; each till
// takes in the events of its own sales only, and none of its payments is
// settled by polling on the happy path.
func TestTillsOfAChainTakeTheirPaymentsFromTheHub(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	chainDB := storetest.NewPostgresSchema(t, dsn)
	log := slog.New(slog.DiscardHandler)

	sc := sim.DefaultConfig()
	sc.HTTPWebhooks = true // the hub listens on loopback
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	simURL, stopSim, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer stopSim()
	if err := s.SetAuto("approve", 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}

	port := freeTCPPort(t)
	hub, err := StartHub(ctx, HubConfig{Listen: fmt.Sprintf("127.0.0.1:%d", port), PublicURL: fmt.Sprintf("http://127.0.0.1:%d/vipps", port),
		Database: chainDB, MSNs: []string{sc.MSN}, BaseURL: simURL,
		ClientID: sc.ClientID, ClientSecret: sc.ClientSecret, SubscriptionKey: sc.SubscriptionKey}, log)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !hub.Health(ctx).OK && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if h := hub.Health(ctx); !h.OK {
		t.Fatalf("hub not healthy: %+v", h)
	}

	var tills []*Till
	for _, pos := range []string{"pos1", "pos2"} {
		cfg := DefaultConfig()
		cfg.DataDir, cfg.Database = t.TempDir(), chainDB
		cfg.Store.POSID = pos
		cfg.Vipps.BaseURL, cfg.Vipps.MSN = simURL, sc.MSN
		cfg.Vipps.ClientID, cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = sc.ClientID, sc.ClientSecret, sc.SubscriptionKey
		cfg.Webhook.Via = WebhookViaHub
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		tl, err := Start(ctx, cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		defer tl.Close()
		if tl.webhooks != nil {
			t.Fatal("a till behind the hub registered a webhook of its own")
		}
		tills = append(tills, tl)
	}
	if err := tills[0].db.UpsertProducts(ctx, drive.Catalogue(5)); err != nil {
		t.Fatal(err)
	}
	gtin := drive.Catalogue(5)[2].GTIN
	for i, tl := range tills {
		c := tl.checkout
		if err := c.Scan(ctx, flow.Scan{Kind: flow.ScanProduct, Code: gtin, Source: "cashier"}); err != nil {
			t.Fatal(err)
		}
		qr := fmt.Sprintf("https://qr.vipps.no/28/2/01/031/47987654%02d?v=1", 30+i)
		if err := c.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: qr, Source: "customer"}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tl, "the customer", func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
		if err := c.RequestPayment(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, tl := range tills {
		v := waitFor(t, tl, "the sale paid through the hub", func(v flow.View) bool { return v.Stage == flow.StagePaid })
		j, err := tl.db.Journal(ctx, v.SaleID)
		if err != nil {
			t.Fatal(err)
		}
		how := ""
		for _, e := range j {
			if e.To == "paid/authorized" && strings.HasPrefix(e.Detail, "Vipps: AUTHORIZED") {
				how = e.Detail
			}
		}
		if !strings.Contains(how, "(from hub)") {
			t.Errorf("%s's sale was paid %q, want through the hub", tl.cfg.Store.POSID, how)
		}
		waitFor(t, tl, "settled", func(v flow.View) bool { return v.Settlement == flow.SettlementDone })
		if tl.HubDelivered() == 0 {
			t.Errorf("%s took nothing from the hub", tl.cfg.Store.POSID)
		}
	}
	// Every event went to its own till; none is left undelivered.
	deadline = time.Now().Add(10 * time.Second)
	var st *store.HubStats
	for time.Now().Before(deadline) {
		if st = hub.Health(ctx).Events; st != nil && st.Undelivered == 0 && st.Stored > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if st == nil || st.Undelivered != 0 || st.Stored == 0 {
		t.Errorf("hub's events: %+v, want all delivered", st)
	}

	// A forged delivery is refused and counted.
	unitURL := fmt.Sprintf("http://127.0.0.1:%d/vipps/%s", port, sc.MSN)
	body := []byte(`{"msn":"` + sc.MSN + `","reference":"x-pos9-000001","pspReference":"p1","name":"AUTHORIZED","amount":{"currency":"NOK","value":100},"timestamp":"2026-12-01T10:00:00Z","success":true}`)
	forged, err := vipps.SignWebhook(unitURL, "not-the-secret", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if code := postHook(t, unitURL, forged, body); code != http.StatusUnauthorized {
		t.Errorf("forged delivery answered %d, want 401", code)
	}
	if u := hub.Health(ctx).Units[0]; u.Refused == 0 {
		t.Errorf("the forged delivery was not counted: %+v", u)
	}
}

func postHook(t *testing.T, url string, h http.Header, body []byte) int {
	t.Helper()
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}
