package flow_test

import (
	"errors"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/store"
	"github.com/kasse-pos/kasse/flow"
)

// The day cannot be closed while its figures may still change: an open
// sale or a parked refund refuses the Z report, saying what to do; then
// one Z report a day.
func TestZReportWaitsForOpenSalesAndParkedRefunds(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		j := flow.NewElectronicJournal(r.db, "pos1", time.UTC, r.clock.Now)
		j.Work = r.db
		var blocked *flow.ZBlockedError

		id := r.paidSale()
		r.must(r.till.NewSale(r.ctx))
		r.product(melk) // sale 000002 is open
		_, err := j.ZReport(r.ctx)
		if !errors.As(err, &blocked) || len(blocked.OpenReceipts) != 1 || blocked.OpenReceipts[0] != "000002" {
			t.Fatalf("Z with an open sale: %v", err)
		}
		if n := blocked.Notice(); n.Key != "reports.z_open_sale" || n.Args["Receipt"] != "000002" {
			t.Errorf("notice %+v", n)
		}
		r.must(r.till.VoidSale(r.ctx))

		r.must(r.till.Refund(r.ctx, id, nil))
		r.must(r.db.Gorm().Model(&store.OutboxJobRow{}).Where("sale_id = ? AND kind = ?", id, flow.JobRefund).Update("state", flow.JobParked).Error)
		_, err = j.ZReport(r.ctx)
		if !errors.As(err, &blocked) || blocked.ParkedRefunds != 1 || len(blocked.OpenReceipts) != 0 {
			t.Fatalf("Z with a parked refund: %v", err)
		}
		if n := blocked.Notice(); n.Key != "reports.z_parked_refund" || n.Args["Count"] != "1" {
			t.Errorf("notice %+v", n)
		}
		// Another till's parked refund is not this till's business.
		j2 := flow.NewElectronicJournal(r.db, "pos2", time.UTC, r.clock.Now)
		j2.Work = r.db
		if _, err := j2.ZReport(r.ctx); err != nil {
			t.Errorf("pos2's Z: %v", err)
		}

		r.must(r.db.Gorm().Model(&store.OutboxJobRow{}).Where("sale_id = ? AND kind = ?", id, flow.JobRefund).Update("state", flow.JobDone).Error)
		if _, err := j.ZReport(r.ctx); err != nil {
			t.Fatalf("Z with nothing open: %v", err)
		}
		if _, err := j.ZReport(r.ctx); !errors.Is(err, flow.ErrZReportTaken) {
			t.Errorf("a second Z the same day: %v", err)
		}
	})
}
