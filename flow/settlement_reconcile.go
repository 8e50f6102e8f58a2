package flow

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Reconcile brings every sale whose settlement is not final to the truth at
// Vipps: authorized but not captured → the capture is (re)queued; captured
// but not recorded → the capture job is recorded done (confirm still checks
// our event); expired, aborted or cancelled → the sale is released. Run
// calls it on start, alongside the workers; it is safe to run at any time,
// from several tills at once (it only adds missing jobs and finishes jobs
// the truth already settled; a job running meanwhile sends the same request
// with the same key).
func (s *Settler) Reconcile(ctx context.Context) error {
	pays, err := s.Store.UnsettledPayments(ctx)
	if err != nil {
		return fmt.Errorf("listing unsettled payments: %w", err)
	}
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
		sem  = make(chan struct{}, max(1, s.Workers))
	)
	for _, p := range pays {
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			if err := s.reconcile(ctx, p); err != nil {
				mu.Lock()
				errs = append(errs, fmt.Errorf("sale %d (%s): %w", p.SaleID, p.Reference, err))
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if len(pays) > 0 {
		s.Log.Info("settlement: reconciled with Vipps", "sales", len(pays), "failed", len(errs))
	}
	return errors.Join(errs...)
}

func (s *Settler) reconcile(ctx context.Context, p UnsettledPayment) error {
	ctx, cancel := context.WithTimeout(ctx, s.CallTimeout)
	defer cancel()
	log := s.Log.With("sale", p.SaleID, "reference", p.Reference)
	info, err := s.Vipps.GetPayment(ctx, p.Reference)
	if err != nil {
		return err // the jobs themselves retry or park; nothing to decide here
	}
	now := s.Now()
	switch info.State {
	case VippsCreated:
		return nil // still on the customer's phone: the checkout owns it
	case VippsAborted, VippsExpired, VippsTerminated:
		log.Warn("settlement: reconciliation releases the sale", "state", info.State)
		return s.release(ctx, p.SaleID, "payment "+info.State+" at Vipps")
	}
	if info.Captured == 0 && info.Authorized > 0 && info.Cancelled >= info.Authorized {
		log.Warn("settlement: reconciliation releases the sale: reservation cancelled")
		return s.release(ctx, p.SaleID, "reservation cancelled at Vipps")
	}
	if info.Authorized != p.Amount {
		log.Warn("settlement: Vipps authorized another amount than we recorded", "ours", p.Amount, "vipps", info.Authorized)
	}
	jobs, err := s.Store.SaleJobs(ctx, p.SaleID)
	if err != nil {
		return err
	}
	var capture *OutboxJob
	for i := range jobs {
		if jobs[i].Kind == JobCapture {
			capture = &jobs[i]
		}
	}
	if capture == nil {
		log.Warn("settlement: authorized sale had no capture job; queueing receipt, capture and confirm")
		if err := s.Store.EnqueueJobs(ctx, SettlementJobs(p.SaleID, p.Reference, p.Amount, now)); err != nil {
			return err
		}
	} else if info.Captured >= capture.Amount && (capture.State == JobQueued || capture.State == JobParked) {
		log.Info("settlement: reconciliation found the capture made", "captured", info.Captured)
		if err := s.Store.CompleteJob(ctx, capture.ID, fmt.Sprintf("captured %d at Vipps (reconciled)", info.Captured), now); err != nil {
			return err
		}
	}
	return s.Store.RequeueSale(ctx, p.SaleID, now)
}

func (s *Settler) release(ctx context.Context, saleID int64, note string) error {
	if err := s.Store.ReleaseSale(ctx, saleID, note, s.Now()); err != nil {
		return err
	}
	if s.OnSettled != nil {
		s.OnSettled(saleID, SettlementReleased)
	}
	return nil
}
