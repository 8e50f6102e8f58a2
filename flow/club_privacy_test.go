package flow_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/saft"
	"github.com/kasse-pos/kasse/flow"
)

// journaled restarts the rig's till with an electronic journal behind it,
// as the app runs it, and returns the journal.
func journaled(r *rig) *flow.ElectronicJournal {
	j := flow.NewElectronicJournal(r.db, "pos1", time.UTC, r.clock.Now)
	r.onClosed = j.SaleClosed
	r.restart()
	return j
}

// waitJournal waits until the journal holds n sales.
func (r *rig) waitJournal(n int) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		recs, err := r.db.JournalRecords(r.ctx, flow.JournalQuery{})
		r.must(err)
		got := 0
		for _, rec := range recs {
			if rec.Event == flow.JournalSale {
				got++
			}
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("%d sales journaled, want %d", got, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *rig) saft(name string) []byte {
	r.t.Helper()
	var buf bytes.Buffer
	_, err := saft.Export(r.ctx, r.db, r.db, saft.Options{Shop: saft.Shop{OrgNumber: "999999999", Name: "Testbutikken AS", Address: "Storgata 1, 0155 Oslo", Currency: "NOK"},
		Location: time.UTC, Software: "test", From: t0.Add(-time.Hour), To: t0.Add(24 * time.Hour), Created: t0.Add(25 * time.Hour)}, &buf)
	r.must(err)
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") == "true" {
			r.t.Fatal("xmllint is missing")
		}
		return buf.Bytes()
	}
	f := filepath.Join(r.t.TempDir(), name+".xml")
	r.must(os.WriteFile(f, buf.Bytes(), 0o600))
	if out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("..", "app", "saft", "testdata", "Norwegian_SAF-T_Cash_Register_Schema_v_1.00.xsd"), f).CombinedOutput(); err != nil {
		r.t.Errorf("SAF-T %s does not validate: %v\n%s", name, err, out)
	}
	return buf.Bytes()
}

// A member's sales with member prices, an offer and a bonus cheque are in
// SAF-T as savings and discounts and in the X report; erasing the member
// removes their personal data and keeps the books: the journal's chain
// verifies, the report adds up the same and SAF-T still validates.
func TestEraseKeepsTheBooks(t *testing.T) {
	each(t, func(t *testing.T, r *rig) {
		clubRig(t, r)
		j := journaled(r)
		m, err := r.db.MemberByMSISDN(r.ctx, kari)
		r.must(err)
		r.must(r.db.AwardPoints(r.ctx, &flow.PointsAward{MemberID: m.ID, Points: 200, Key: "import", Rule: clubRules().Points}))

		r.customer(qrKari)
		r.must(r.till.AddProduct(r.ctx, kaffe, 3))
		r.product(ost)
		r.waitFor("cheque offered", func(v flow.View) bool { return v.CanUseCheque })
		r.must(r.till.UseCheque(r.ctx))
		first := r.pay()
		r.waitJournal(1)
		r.must(r.till.NewSale(r.ctx))
		r.product(yoghurt)
		r.customer(qrKari)
		r.waitFor("member prices", func(v flow.View) bool { return v.Discount == 199 })
		r.pay()
		r.waitJournal(2)

		x := r.saft("before")
		for _, want := range []string{"<savingsType>OFFER</savingsType>", "<savingsUnits>3</savingsUnits>", "<dscTp>MEMBERDSC</dscTp>", "<dscTp>BONUSCHQ</dscTp>"} {
			if !bytes.Contains(x, []byte(want)) {
				t.Errorf("SAF-T lacks %s", want)
			}
		}
		before, err := j.PeekReport(r.ctx, flow.ReportX)
		r.must(err)
		if before.Cheques != (flow.Tally{Count: 1, Amount: 5000}) || before.MemberSavings.Count != 3 || before.Members.Count != 2 {
			t.Errorf("X report: cheques %+v, member savings %+v, members %+v", before.Cheques, before.MemberSavings, before.Members)
		}
		wantSavings := flow.Money(3*1000+4990-5990) + 2000 + 199
		if before.MemberSavings.Amount != wantSavings {
			t.Errorf("member savings in the X report %d, want %d", before.MemberSavings.Amount, wantSavings)
		}

		club := &flow.Club{Members: r.db, Points: r.db, Journal: j, Now: r.clock.Now}
		found, err := club.Search(r.ctx, "567")
		r.must(err)
		if len(found) != 1 || found[0].ID != m.ID {
			t.Fatalf("search by the last digits: %+v", found)
		}
		// Her answers to the club's marketing consents are hers too.
		withConsents, err := r.db.MemberByID(r.ctx, m.ID)
		r.must(err)
		withConsents.Consents = []flow.MemberConsent{{ID: "email-offers", Text: "Offers by e-mail", Accepted: true, At: t0}}
		r.must(r.db.AddMember(r.ctx, withConsents))
		data, err := club.ExportJSON(r.ctx, m.ID)
		r.must(err)
		var exp flow.MemberExport
		r.must(json.Unmarshal(data, &exp))
		if exp.Member.Name != "Kari Nordmann" || exp.Member.Phone != kari || len(exp.Sales) != 2 || len(exp.PointsHistory) < 3 ||
			len(exp.Consent.Marketing) != 1 || !exp.Consent.Marketing[0].Accepted {
			t.Errorf("export: %s", data)
		}

		r.must(club.Erase(r.ctx, m.ID))
		if _, err := r.db.MemberByMSISDN(r.ctx, kari); !errors.Is(err, flow.ErrNoRecord) {
			t.Errorf("the erased member is still found by phone: %v", err)
		}
		for _, q := range []string{"Kari", "567", "nordmann"} {
			if found, _ := club.Search(r.ctx, q); len(found) != 0 {
				t.Errorf("search %q finds the erased member: %+v", q, found)
			}
		}
		erased, err := club.Export(r.ctx, m.ID)
		r.must(err)
		if erased.Member.Name != "" || erased.Member.Email != "" || strings.Contains(erased.Member.Phone, "567") || len(erased.Consent.Scopes) != 0 || len(erased.BonusCheques) != 0 || len(erased.Consent.Marketing) != 0 {
			t.Errorf("left after erase: %+v", erased)
		}
		if len(erased.Sales) != 2 || len(erased.PointsHistory) != len(exp.PointsHistory) {
			t.Errorf("the anonymous member lost their books: %d sales, %d points lines", len(erased.Sales), len(erased.PointsHistory))
		}
		s, err := r.db.Sale(r.ctx, first.SaleID)
		r.must(err)
		if s.Customer.MSISDN != "" || s.Customer.QR != "" || s.Customer.Member == nil || s.Customer.Member.ID != m.ID || s.Payment.PushMSISDN != "" {
			t.Errorf("the sale after erase: customer %+v, pushed to %q", s.Customer, s.Payment.PushMSISDN)
		}

		if n, err := flow.VerifyJournal(r.ctx, r.db); err != nil || n == 0 {
			t.Errorf("journal chain after erase: %d records, %v", n, err)
		}
		after, err := j.PeekReport(r.ctx, flow.ReportX)
		r.must(err)
		if after.Sales != before.Sales || after.MemberSavings != before.MemberSavings || after.Cheques != before.Cheques ||
			after.Members != before.Members || after.Discounts != before.Discounts {
			t.Errorf("the X report changed with the erase:\n%+v\n%+v", before, after)
		}
		if x := r.saft("after"); !bytes.Contains(x, []byte("MEMBERERASE")) || !bytes.Contains(x, []byte("<dscTp>MEMBERDSC</dscTp>")) {
			t.Error("SAF-T after erase lacks the erase event or the member discounts")
		}

		// Back at the till she is a guest, and may join again.
		r.must(r.till.NewSale(r.ctx))
		v := r.customer(qrKari)
		if v.Customer.Member || !v.CanEnrol {
			t.Errorf("the erased member at the till: %+v, can enrol %v", v.Customer, v.CanEnrol)
		}
	})
}
