package app

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// TrainingDBName is the training till's own database in the data
// directory: training sales never reach the shop's sales tables, its
// settlement worker or its reconciliation with Vipps.
const TrainingDBName = "training.db"

// trainingStore keeps training sales in the training database and reads
// the catalogue from the shop's.
type trainingStore struct {
	*store.DB
	catalog *store.DB
}

func (s trainingStore) ProductByGTIN(ctx context.Context, gtin string) (flow.Product, error) {
	return s.catalog.ProductByGTIN(ctx, gtin)
}

func (s trainingStore) SearchProducts(ctx context.Context, q string, limit int) ([]flow.Product, error) {
	return s.catalog.SearchProducts(ctx, q, limit)
}

// newTrainingTill starts the training checkout the first time a manager
// switches training mode on: its own database, a built-in Vipps simulator
// of its own (so nothing reaches Vipps, whatever environment the till sells
// in) with its own settlement worker, and receipts marked as training.
func (t *Till) newTrainingTill(ctx context.Context) (flow.Till, error) {
	db, err := store.Open(filepath.Join(t.cfg.DataDir, TrainingDBName))
	if err != nil {
		return nil, fmt.Errorf("opening the training database: %w", err)
	}
	t.closers = append(t.closers, func() {
		if err := db.Close(); err != nil {
			t.log.Warn("closing the training database", "err", err)
		}
	})
	inst, err := db.Installation(ctx)
	if err != nil {
		return nil, err
	}
	sc := sim.DefaultConfig()
	sc.MSN, sc.Currency = t.cfg.Vipps.MSN, t.cfg.Vipps.Currency
	sc.MerchantName, sc.ClubName = t.cfg.Store.Name, t.cfg.Vipps.ClubName
	sc.HTTPWebhooks = true // in-process, on loopback
	s, err := sim.New(sc)
	if err != nil {
		return nil, fmt.Errorf("starting the training simulator: %w", err)
	}
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the training simulator: %w", err)
	}
	t.closers = append(t.closers, stop)
	t.trainingSim = s
	c, err := vipps.New(vipps.Config{BaseURL: url, ClientID: sc.ClientID, ClientSecret: sc.ClientSecret,
		SubscriptionKey: sc.SubscriptionKey, MSN: sc.MSN, SystemName: "kasse", SystemVersion: Version, Logger: t.log})
	if err != nil {
		return nil, err
	}
	gw := newVippsGateway(c, t.cfg.Vipps.ClubName, t.cfg.Vipps.Currency)
	ts := trainingStore{DB: db, catalog: t.db}
	settler := flow.NewSettler(ts, gw, t.log)
	var printTraining func(ctx context.Context, s *flow.Sale, kind flow.ReceiptKind) error
	if t.cfg.Printer.Device != "" {
		// Every receipt of training mode is a training receipt.
		printTraining = func(ctx context.Context, s *flow.Sale, _ flow.ReceiptKind) error {
			return t.printer.Print(ctx, t.receipt(s, flow.ReceiptTraining))
		}
	}
	co := flow.NewCheckout(flow.Options{Print: printTraining,
		POSID: t.cfg.Store.POSID, Installation: inst, Currency: t.cfg.Vipps.Currency, StoreName: t.cfg.Store.Name,
		Store: ts, Vipps: gw, Log: t.log, Parking: db,
		OnSaleClosed: func(ctx context.Context, s *flow.Sale) {
			t.journal.TrainingSaleClosed(ctx, s)
			settler.Kick()
		},
	})
	t.closers = append(t.closers, co.Close)
	if err := co.Resume(ctx); err != nil {
		return nil, fmt.Errorf("resuming training sales: %w", err)
	}
	go func() { _ = settler.Run(t.ctx) }()
	t.log.Info("training mode: built-in simulator", "url", url, "phones", url+"/sim/")
	return co, nil
}
