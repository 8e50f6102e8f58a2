package saft

import (
	"errors"
	"fmt"
)

// CheckReferences enforces the identity constraints the XSD declares but
// cannot enforce (its selectors lack the namespace prefix, so XSD 1.0
// validators match nothing): unique basicIDs and report ids, and every
// eventType, lineType, transType, paymentType, dscTp, artGroupID, artID and
// empID defined in the company's master data.
func CheckReferences(af *AuditFile) error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }
	basics := map[string]string{}
	for _, b := range af.Company.Basics {
		if _, dup := basics[b.BasicID]; dup {
			bad("basicID %q defined twice", b.BasicID)
		}
		basics[b.BasicID] = b.BasicType
	}
	emps := map[string]bool{}
	for _, e := range af.Company.Employees {
		emps[e.EmpID] = true
	}
	arts := map[string]bool{}
	for _, a := range af.Company.Articles {
		arts[a.ArtID] = true
		if a.ArtGroupID != "" && basics[a.ArtGroupID] != "04" {
			bad("article %s: article group %q is not a basic of type 04", a.ArtID, a.ArtGroupID)
		}
	}
	basic := func(where, id, typ string) {
		if got, ok := basics[id]; !ok || got != typ {
			bad("%s: %q is not a basic of type %s", where, id, typ)
		}
	}
	emp := func(where, id string) {
		if id != "" && !emps[id] {
			bad("%s: employee %q is not in employees", where, id)
		}
	}
	reports := map[string]bool{}
	for _, l := range af.Company.Locations {
		for _, cr := range l.CashRegisters {
			for _, e := range cr.Events {
				where := fmt.Sprintf("register %s event %s", cr.RegisterID, e.EventID)
				basic(where, e.EventType, "13")
				emp(where, e.EmpID)
				if r := e.EventReport; r != nil {
					if reports[r.ReportID] {
						bad("%s: report id %q used twice", where, r.ReportID)
					}
					reports[r.ReportID] = true
					for _, p := range r.Payments {
						basic(where, p.PaymentType, "12")
					}
					for _, p := range r.EmpPayments {
						basic(where, p.PaymentType, "12")
						emp(where, p.EmpID)
					}
				}
			}
			for _, t := range cr.CashTransactions {
				where := fmt.Sprintf("register %s transaction %s", cr.RegisterID, t.Nr)
				basic(where, t.TransType, "11")
				emp(where, t.EmpID)
				for _, p := range t.Payments {
					basic(where, p.PaymentType, "12")
					emp(where, p.EmpID)
				}
				for _, ln := range t.Lines {
					lw := where + " line " + ln.LineID
					basic(lw, ln.LineType, "05")
					emp(lw, ln.EmpID)
					if ln.ArtGroupID != "" {
						basic(lw, ln.ArtGroupID, "04")
					}
					if ln.ArtID != "" && !arts[ln.ArtID] {
						bad("%s: article %q is not in articles", lw, ln.ArtID)
					}
					for _, d := range ln.Discounts {
						basic(lw, d.DscTp, "08")
						emp(lw, d.EmpID)
					}
				}
			}
		}
	}
	return errors.Join(errs...)
}
