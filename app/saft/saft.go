// Package saft exports the electronic journal as a Norwegian SAF-T Cash
// Register file (schema v1.00, namespace urn:StandardAuditFile-Taxation-
// CashRegister:NO), which the tax authority may ask a shop for.
//
// Everything comes from the journal's chained records, not from the sale
// tables, so the export shows exactly what was journaled. Code lists: the
// basics map our own ids to PredefinedBasicID 04 (article groups), 11
// (transaction types), 12 (payment types: Vipps is 12011, mobile phone
// apps) and 13 (events); VAT rates map to the standard tax codes.
package saft

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kasse-pos/kasse/flow"
)

// Shop is who the file is about.
type Shop struct {
	OrgNumber string // 9 digits
	Name      string
	Address   string // "Storgata 1, 0155 Oslo"
	Currency  string // NOK
}

// Options select and describe an export.
type Options struct {
	Shop     Shop
	From, To time.Time      // records with From ≤ time < To
	Location *time.Location // dates and times in the file; the shop's zone
	Created  time.Time
	Software string // version, e.g. "1.4.0"
}

// Input is what the export reads: journal records of every till (ordered by
// till, then Seq) and the cashiers.
type Input struct {
	Records  []flow.JournalRecord
	Cashiers []flow.Cashier
}

// Our basic ids (basicID), each mapped to an official code.
const (
	lineSale   = "SAL"
	lineReturn = "RET"
	transSale  = "CASHSALE"
	transRet   = "RETURN"
	payVipps   = "VIPPS"
	dscLine    = "LINEDSC"
)

// eventTypes maps journal events to our basicIDs and PredefinedBasicID-13.
var eventTypes = map[flow.JournalEvent]struct{ id, code, desc string }{
	flow.JournalAppStart:    {"POSSTART", "13001", "POS application start"},
	flow.JournalAppStop:     {"POSEND", "13002", "POS application shut down"},
	flow.JournalLogin:       {"EMPIN", "13003", "Employee log in"},
	flow.JournalLogout:      {"EMPOUT", "13004", "Employee log out"},
	flow.JournalDrawerOpen:  {"DRAWOPEN", "13005", "Open cash drawer"},
	flow.JournalXReport:     {"XREP", "13008", "X report"},
	flow.JournalZReport:     {"ZREP", "13009", "Z report"},
	flow.JournalSale:        {"SALREC", "13012", "Sales receipt"},
	flow.JournalReturn:      {"RETREC", "13013", "Return receipt"},
	flow.JournalCopyReceipt: {"COPYREC", "13014", "Copy receipt"},
	flow.JournalExport:      {"EXPORT", "13020", "Export of journal (SAF-T)"},
	flow.JournalPriceLookup: {"PRICELOOKUP", "13022", "Price look-up"},
	flow.JournalVoid:        {"VOIDREC", "13028", "Void receipt"},
	flow.JournalLineDeleted: {"LINEDELETE", "13999", "Delete line"},
	flow.JournalPayCancel:   {"PAYCANCEL", "13999", "Payment request cancelled or refused"},
	flow.JournalSigningKey:  {"SIGNKEY", "13999", "New SAF-T signing key (public key in the journal)"},

	flow.JournalReceiptPrinted:   {"SALRECPAPER", "13012", "Sales receipt printed on paper"},
	flow.JournalNoReceiptPrinted: {"NORECEIPT", "13030", "Concluded sale without receipt printed (receipt in the Vipps app)"},
	flow.JournalSoftwareUpdate:   {"POSUPDATE", "13007", "Update of POS application"},
	flow.JournalPriceChange:      {"PRICECHANGE", "13021", "Price change"},
	flow.JournalSaleParked:       {"SUSPEND", "13010", "Suspend transaction (sale parked)"},
	flow.JournalSaleResumed:      {"RESUME", "13011", "Resume transaction (parked sale)"},
	flow.JournalTrainingOn:       {"TRAINON", "13023", "Training mode on"},
	flow.JournalTrainingOff:      {"TRAINOFF", "13024", "Training mode off"},
	flow.JournalMemberErased:     {"MEMBERERASE", "13999", "Club member's personal data erased at their request"},
}

// artGroup is our article group for a VAT rate: products carry no group
// of their own, and the rate is what tells food (15 %) from other goods.
func artGroup(rate int) (id, code, desc string) {
	switch rate {
	case 15:
		return "FOOD", "04006", "Food"
	case 12:
		return "OTHER12", "04999", "Other (12 % VAT)"
	case 0:
		return "GOODS0", "04003", "Sale of goods, zero-rated"
	}
	return "GOODS", "04003", "Sale of goods"
}

// vatCode is the standard tax code (Standard Tax Codes) of an output VAT
// rate; our local vatCode is the same string.
func vatCode(rate int) (code, desc string) {
	switch rate {
	case 25:
		return "3", "Output VAT, regular rate 25 %"
	case 15:
		return "31", "Output VAT, reduced rate, middle 15 %"
	case 12:
		return "33", "Output VAT, reduced rate, low 12 %"
	case 0:
		return "5", "No output VAT, zero rate"
	}
	return "", ""
}

// LegacyKeyVersion marks a transaction journaled before its till signed:
// its signature is the base64 SHA-256 hash of the journal record (see
// flow.JournalHash), not an RSA signature. Signed transactions carry the
// till's key version ("1", "2" …) and the RSA-SHA1 signature of
// flow.SignatureText, chained per register in transaction order.
const LegacyKeyVersion = "kasse-journal-sha256-1"

// Build turns journal records into the audit file.
func Build(in Input, opt Options) (*AuditFile, error) {
	loc := opt.Location
	if loc == nil {
		loc = time.Local
	}
	cur := opt.Shop.Currency
	if cur == "" {
		cur = "NOK"
	}
	date := func(t time.Time) string { return t.In(loc).Format(time.DateOnly) }
	clock := func(t time.Time) string { return t.In(loc).Format(time.TimeOnly) }
	lastDay := opt.To.Add(-time.Nanosecond)
	b := &builder{opt: opt, loc: loc, cur: cur, date: date, clock: clock,
		cashiers: map[int64]flow.Cashier{}, usedEmp: map[int64]bool{}, articles: map[string]*Article{},
		groups: map[string]Basic{}, vat: map[int]bool{}, events: map[string]Basic{}, pays: map[string]Basic{}, club: map[string]Basic{}}
	for _, c := range in.Cashiers {
		b.cashiers[c.ID] = c
	}
	af := &AuditFile{
		Header: Header{
			FiscalYear: strconv.Itoa(opt.From.In(loc).Year()), StartDate: date(opt.From), EndDate: date(lastDay), CurCode: cur,
			DateCreated: date(opt.Created), TimeCreated: clock(opt.Created),
			SoftwareDesc: "kasse", SoftwareVersion: truncate(opt.Software, 20), SoftwareCompanyName: "kasse-pos",
			AuditfileVersion: "1.0",
		},
		Company: Company{
			CompanyIdent: opt.Shop.OrgNumber, CompanyName: truncate(opt.Shop.Name, 100),
			TaxRegistrationCountry: "NO", TaxRegIdent: opt.Shop.OrgNumber + "MVA",
			StreetAddress: parseAddress(opt.Shop.Address),
		},
	}
	loc0 := Location{Name: truncate(opt.Shop.Name, 100), StreetAddress: parseAddress(opt.Shop.Address)}
	var tills []string
	byTill := map[string][]flow.JournalRecord{}
	for _, r := range in.Records {
		if r.At.Before(opt.From) || !r.At.Before(opt.To) {
			continue
		}
		if _, ok := byTill[r.TillID]; !ok {
			tills = append(tills, r.TillID)
		}
		byTill[r.TillID] = append(byTill[r.TillID], r)
	}
	sort.Strings(tills)
	for _, till := range tills {
		cr, err := b.register(till, byTill[till])
		if err != nil {
			return nil, err
		}
		loc0.CashRegisters = append(loc0.CashRegisters, cr)
	}
	af.Header.HeaderComment = fmt.Sprintf("Electronic journal of tills %s, %s to %s", strings.Join(tills, ", "), date(opt.From), date(lastDay))
	if len(tills) == 0 {
		af.Header.HeaderComment = "No journal records in the period"
	}
	af.Company.Locations = []Location{loc0}
	b.finish(&af.Company)
	return af, nil
}

type builder struct {
	opt         Options
	loc         *time.Location
	cur         string
	date, clock func(time.Time) string

	cashiers map[int64]flow.Cashier
	usedEmp  map[int64]bool
	articles map[string]*Article
	groups   map[string]Basic
	vat      map[int]bool
	events   map[string]Basic
	pays     map[string]Basic // payment types used (tenders.go)
	club     map[string]Basic // the club's savings and discount codes used
	anySale  bool
}

func (b *builder) emp(id int64) string {
	if id == 0 {
		return ""
	}
	b.usedEmp[id] = true
	return strconv.FormatInt(id, 10)
}

func (b *builder) register(till string, recs []flow.JournalRecord) (CashRegister, error) {
	cr := CashRegister{RegisterID: till, RegDesc: "kasse till " + till}
	// Copies are counted on their transaction; receipts map to transactions.
	transOf := map[string]string{}
	copies := map[string]int{}
	for _, r := range recs {
		switch r.Event {
		case flow.JournalSale, flow.JournalReturn:
			transOf[r.Receipt] = strconv.FormatInt(r.Seq, 10)
		case flow.JournalCopyReceipt:
			copies[r.Receipt]++
		}
	}
	for _, r := range recs {
		et, ok := eventTypes[r.Event]
		if !ok {
			et = struct{ id, code, desc string }{"OTHER", "13999", "Other event"}
		}
		b.events[et.id] = Basic{BasicType: "13", BasicID: et.id, PredefinedBasicID: et.code, BasicDesc: et.desc}
		ev := Event{EventID: strconv.FormatInt(r.Seq, 10), EventType: et.id, EmpID: b.emp(r.CashierID),
			EventDate: b.date(r.At), EventTime: b.clock(r.At), EventText: eventText(r)}
		switch r.Event {
		case flow.JournalSale, flow.JournalReturn:
			ev.TransID = strconv.FormatInt(r.Seq, 10)
		case flow.JournalCopyReceipt, flow.JournalReceiptPrinted, flow.JournalNoReceiptPrinted, flow.JournalSaleParked, flow.JournalSaleResumed:
			ev.TransID = transOf[r.Receipt] // empty when the sale is outside the period
		}
		switch r.Event {
		case flow.JournalSale, flow.JournalReturn:
			s, err := flow.SaleRecordOfJournal(r)
			if err != nil {
				return cr, err
			}
			ct := b.transaction(r, s)
			ct.CopyNum = copies[r.Receipt]
			cr.CashTransactions = append(cr.CashTransactions, ct)
		case flow.JournalXReport, flow.JournalZReport:
			rep, err := flow.ReportOfJournal(r)
			if err != nil {
				return cr, err
			}
			if r.Event == flow.JournalXReport {
				rep.Number = r.Seq
			}
			ev.EventReport = b.report(rep, r)
		}
		cr.Events = append(cr.Events, ev)
	}
	return cr, nil
}

func eventText(r flow.JournalRecord) string {
	var parts []string
	if r.Receipt != "" {
		parts = append(parts, "receipt "+r.Receipt)
	}
	if r.Amount != 0 {
		a, _ := Amount(r.Amount).MarshalText()
		parts = append(parts, "amount "+string(a))
	}
	if r.Text != "" {
		parts = append(parts, r.Text)
	}
	parts = append(parts, "hash "+r.Hash)
	return truncate(strings.Join(parts, "; "), 9999)
}

func (b *builder) transaction(r flow.JournalRecord, s flow.SaleRecord) CashTransaction {
	b.anySale = true
	// nr is the receipt number, as signed (flow.SignatureText); transID is
	// the journal record, which events refer to.
	nr, transID := s.ReceiptNumber, strconv.FormatInt(r.Seq, 10)
	emp := b.emp(r.CashierID)
	tp, transType, lineType, desc := "C", transSale, lineSale, "Receipt "+s.ReceiptNumber
	if s.Return {
		tp, transType, lineType, desc = "D", transRet, lineReturn, "Return receipt "+s.ReceiptNumber
	}
	if s.Training {
		desc = "Training receipt " + s.ReceiptNumber + " (training mode, not a sale)"
	}
	ct := CashTransaction{Nr: nr, TransID: transID, TransType: transType, TransAmntIn: Amount(s.Total), AmntTp: tp, EmpID: emp,
		TransDate: b.date(r.At), TransTime: b.clock(r.At), RefID: s.OriginalReceipt, Desc: desc,
		Signature: r.Signature, KeyVersion: r.KeyVersion, ReceiptNum: 1, Training: s.Training}
	if r.Signature == "" {
		hash, _ := hex.DecodeString(r.Hash)
		ct.Signature, ct.KeyVersion = base64.StdEncoding.EncodeToString(hash), LegacyKeyVersion
	}
	type vatSum struct{ vat, net flow.Money }
	sums := map[int]*vatSum{}
	var net flow.Money
	for i, l := range s.Lines {
		gid, gcode, gdesc := artGroup(l.VATRate)
		b.groups[gid] = Basic{BasicType: "04", BasicID: gid, PredefinedBasicID: gcode, BasicDesc: gdesc}
		b.vat[l.VATRate] = true
		code, _ := vatCode(l.VATRate)
		line := CTLine{Nr: nr, LineID: strconv.Itoa(i + 1), LineType: lineType, ArtGroupID: gid,
			Qnt: strconv.Itoa(l.Quantity), LineAmntIn: Amount(l.Total), LineAmntEx: Amount(l.Net), AmntTp: tp,
			PPU: Amount6(l.UnitPrice), EmpID: emp, Descr: truncate(l.Name, 9999), LineDate: ct.TransDate, LineTime: ct.TransTime,
			VAT: &VAT{VATCode: code, VATPerc: fmt.Sprintf("%d.00", l.VATRate), VATAmnt: Amount(l.VAT), VATAmntTp: tp, VATBasAmnt: Amount(l.Net)}}
		if l.GTIN != "" {
			line.ArtID = l.GTIN
			if _, ok := b.articles[l.GTIN]; !ok {
				b.articles[l.GTIN] = &Article{ArtID: l.GTIN, DateOfEntry: ct.TransDate, ArtGroupID: gid, ArtDesc: truncate(l.Name, 999)}
			}
		}
		line.Savings, line.Discounts = b.lineDiscounts(l, emp)
		ct.Lines = append(ct.Lines, line)
		v := sums[l.VATRate]
		if v == nil {
			v = &vatSum{}
			sums[l.VATRate] = v
		}
		v.vat += l.VAT
		v.net += l.Net
		net += l.Net
	}
	ct.TransAmntEx = Amount(net)
	rates := make([]int, 0, len(sums))
	for r := range sums {
		rates = append(rates, r)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(rates)))
	for _, rate := range rates {
		code, _ := vatCode(rate)
		ct.VAT = append(ct.VAT, VAT{VATCode: code, VATPerc: fmt.Sprintf("%d.00", rate), VATAmnt: Amount(sums[rate].vat), VATAmntTp: tp, VATBasAmnt: Amount(sums[rate].net)})
	}
	if s.Rounding != 0 {
		ct.Rounding = &Rounding{RoundingAmnt: Amount(s.Rounding)}
	}
	for _, p := range s.Payments {
		ct.Payments = append(ct.Payments, Payment{PaymentType: b.payType(p.Method), PaidAmnt: Amount(p.Amount), EmpID: emp, CurCode: b.cur, PaymentRefID: paymentRef(p)})
	}
	return ct
}

func (b *builder) report(r flow.Report, rec flow.JournalRecord) *EventReport {
	id, typ := fmt.Sprintf("Z%d-%s", r.Number, rec.TillID), "Z report"
	if r.Kind == flow.ReportX {
		id, typ = fmt.Sprintf("X%d-%s", r.Number, rec.TillID), "X report"
	}
	er := &EventReport{
		ReportID: truncate(id, 35), ReportType: typ, CompanyIdent: b.opt.Shop.OrgNumber, CompanyName: truncate(b.opt.Shop.Name, 100),
		ReportDate: b.date(rec.At), ReportTime: b.clock(rec.At), RegisterID: rec.TillID,
		TotalCashSaleAmnt: Amount(r.Net),
		ReceiptNum:        r.Sales.Count, OpenCashBoxNum: r.DrawerOpenings, OpeningChangeFloat: Amount(r.CashFloat),
		ReceiptCopyNum: r.Copies.Count, ReceiptCopyAmnt: Amount(r.Copies.Amount),
		ReturnNum: r.Returns.Count, ReturnAmnt: Amount(r.Returns.Amount),
		DiscountNum: r.Discounts.Count, DiscountAmnt: Amount(r.Discounts.Amount),
		VoidTransNum: r.Voids.Count, VoidTransAmnt: Amount(r.Voids.Amount),
		CorrLines:      []ReportCorrLine{{"Delete line", r.LineDeletions.Count, Amount(r.LineDeletions.Amount)}},
		PriceInquiries: []ReportPriceInq{{"All", r.PriceLookups.Count, Amount(r.PriceLookups.Amount)}},
		OtherCorrs:     []ReportOtherCorr{{"Cancelled payment", r.CancelledPays.Count, Amount(r.CancelledPays.Amount)}},
		TrainingNum:    r.Training.Count, TrainingAmnt: Amount(r.Training.Amount),
		GrandTotalSales: Amount(r.GrandTotalSales), GrandTotalReturn: Amount(r.GrandTotalReturns), GrandTotalSalesNet: Amount(r.GrandTotalNet),
	}
	groups := map[string]*ReportArtGroup{}
	var order []string
	for _, v := range r.VAT {
		gid, _, _ := artGroup(v.Rate)
		g := groups[gid]
		if g == nil {
			g = &ReportArtGroup{ArtGroupID: gid}
			groups[gid] = g
			order = append(order, gid)
		}
		n, _ := strconv.Atoi(g.ArtGroupNum)
		g.ArtGroupNum = strconv.Itoa(n + v.Quantity)
		g.ArtGroupAmnt += Amount(v.Gross)
		code, _ := vatCode(v.Rate)
		er.CashSalesVAT = append(er.CashSalesVAT, ReportCashVAT{VATCode: code, VATPerc: fmt.Sprintf("%d.00", v.Rate),
			CashSaleAmnt: Amount(v.Net), VATAmnt: Amount(v.VAT), VATAmntTp: "C"})
	}
	for _, gid := range order {
		er.ArtGroups = append(er.ArtGroups, *groups[gid])
	}
	// The schema wants at least one row in these lists; a day without
	// sales reports zeros, as the official example does for empty lists.
	if len(er.ArtGroups) == 0 {
		er.ArtGroups = []ReportArtGroup{{ArtGroupID: "None", ArtGroupNum: "0"}}
	}
	if len(er.CashSalesVAT) == 0 {
		er.CashSalesVAT = []ReportCashVAT{{VATCode: "3", VATPerc: "25.00", VATAmntTp: "C"}}
	}
	for _, p := range r.Payments {
		er.Payments = append(er.Payments, ReportPayment{PaymentType: b.payType(p.Method), PaymentNum: p.Count, PaymentAmnt: Amount(p.Amount)})
	}
	if len(er.Payments) == 0 {
		er.Payments = []ReportPayment{{PaymentType: payVipps}}
	}
	for _, c := range r.Cashiers {
		if c.CashierID == 0 {
			continue
		}
		if len(c.Payments) > 0 {
			// Per tender the cashier took (reports since tenders).
			for _, p := range c.Payments {
				er.EmpPayments = append(er.EmpPayments, ReportEmpPay{EmpID: b.emp(c.CashierID), PaymentType: b.payType(p.Method),
					PaymentNum: p.Count, PaymentAmnt: Amount(p.Amount)})
			}
			continue
		}
		er.EmpPayments = append(er.EmpPayments, ReportEmpPay{EmpID: b.emp(c.CashierID), PaymentType: payVipps,
			PaymentNum: c.Sales.Count + c.Returns.Count, PaymentAmnt: Amount(c.Sales.Amount - c.Returns.Amount)})
	}
	return er
}

// finish writes the master data the records referred to.
func (b *builder) finish(c *Company) {
	rates := make([]int, 0, len(b.vat))
	for r := range b.vat {
		rates = append(rates, r)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(rates)))
	for _, r := range rates {
		code, desc := vatCode(r)
		c.VATCodeDetails = append(c.VATCodeDetails, VATCodeDetail{VATCode: code, DateOfEntry: b.date(b.opt.From), VATDesc: desc, StandardVATCode: code})
	}
	ids := make([]int64, 0, len(b.usedEmp))
	for id := range b.usedEmp {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		cs, ok := b.cashiers[id]
		if !ok {
			cs = flow.Cashier{ID: id, Name: fmt.Sprintf("Cashier %d", id), CreatedAt: b.opt.From}
		}
		first, sur := splitName(cs.Name)
		role := Role{RoleType: "Cashier"}
		if cs.Role == flow.RoleManager {
			role = Role{RoleType: "Manager"}
		}
		c.Employees = append(c.Employees, Employee{EmpID: strconv.FormatInt(id, 10), DateOfEntry: b.date(cs.CreatedAt),
			TimeOfEntry: b.clock(cs.CreatedAt), FirstName: first, SurName: sur, Roles: []Role{role}})
	}
	gtins := make([]string, 0, len(b.articles))
	for g := range b.articles {
		gtins = append(gtins, g)
	}
	sort.Strings(gtins)
	for _, g := range gtins {
		c.Articles = append(c.Articles, *b.articles[g])
	}
	basics := sortedBasics(b.groups)
	if b.anySale {
		basics = append(basics,
			Basic{BasicType: "05", BasicID: lineSale, BasicDesc: "Sale line"},
			Basic{BasicType: "05", BasicID: lineReturn, BasicDesc: "Return line"},
			Basic{BasicType: "08", BasicID: dscLine, BasicDesc: "Discount on a line"},
			Basic{BasicType: "11", BasicID: transSale, PredefinedBasicID: "11001", BasicDesc: "Cash sale (paid at the till with Vipps MobilePay)"},
			Basic{BasicType: "11", BasicID: transRet, PredefinedBasicID: "11006", BasicDesc: "Return payment (refund to Vipps MobilePay)"},
		)
	}
	basics = append(basics, b.paymentBasics()...)
	basics = append(basics, sortedBasics(b.club)...)
	basics = append(basics, sortedBasics(b.events)...)
	c.Basics = basics
}

func sortedBasics(m map[string]Basic) []Basic {
	out := make([]Basic, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PredefinedBasicID != out[j].PredefinedBasicID {
			return out[i].PredefinedBasicID < out[j].PredefinedBasicID
		}
		return out[i].BasicID < out[j].BasicID
	})
	return out
}

// splitName puts the last word in surName (required) and the rest in
// firstName.
func splitName(name string) (first, sur string) {
	f := strings.Fields(name)
	switch len(f) {
	case 0:
		return "", "-"
	case 1:
		return "", truncate(f[0], 100)
	}
	return truncate(strings.Join(f[:len(f)-1], " "), 50), truncate(f[len(f)-1], 100)
}

var postalCity = regexp.MustCompile(`^(\d{4})\s+(.+)$`)
var streetNumber = regexp.MustCompile(`^(.*\D)\s+(\d+\s*[A-Za-z]?)$`)

// parseAddress reads "Storgata 1, 0155 Oslo"; what it cannot split goes in
// streetname whole.
func parseAddress(a string) *Address {
	a = strings.TrimSpace(a)
	if a == "" {
		return nil
	}
	out := &Address{Country: "NO"}
	parts := strings.Split(a, ",")
	street := strings.TrimSpace(parts[0])
	if m := streetNumber.FindStringSubmatch(street); m != nil {
		out.Streetname, out.Number = strings.TrimSpace(m[1]), m[2]
	} else {
		out.Streetname = street
	}
	if len(parts) > 1 {
		rest := strings.TrimSpace(strings.Join(parts[1:], ","))
		if m := postalCity.FindStringSubmatch(rest); m != nil {
			out.PostalCode, out.City = m[1], truncate(m[2], 50)
		} else {
			out.City = truncate(rest, 50)
		}
	}
	out.Streetname = truncate(out.Streetname, 100)
	return out
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Write encodes af as indented XML with the declaration.
func Write(w io.Writer, af *AuditFile) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "\t")
	if err := enc.Encode(af); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// Export reads the period's journal and cashiers from the stores, checks the
// references inside the file and writes it to w.
func Export(ctx context.Context, js flow.JournalStore, cs flow.CashierStore, opt Options, w io.Writer) (*AuditFile, error) {
	recs, err := js.JournalRecords(ctx, flow.JournalQuery{From: opt.From, To: opt.To})
	if err != nil {
		return nil, err
	}
	var cashiers []flow.Cashier
	if cs != nil {
		if cashiers, err = cs.Cashiers(ctx); err != nil {
			return nil, err
		}
	}
	af, err := Build(Input{Records: recs, Cashiers: cashiers}, opt)
	if err != nil {
		return nil, err
	}
	if err := CheckReferences(af); err != nil {
		return nil, err
	}
	keys, err := JournaledKeys(ctx, js, "")
	if err != nil {
		return nil, err
	}
	if _, err := VerifyAuditFile(af, keys); err != nil {
		return nil, fmt.Errorf("the export's signatures do not verify with the journaled public keys (was it written in another time zone than the till's?): %w", err)
	}
	return af, Write(w, af)
}

// ExportFile exports to path through a temporary file, so a failed export
// never leaves half a file under the requested name. It returns the number
// of journal records exported.
func ExportFile(ctx context.Context, js flow.JournalStore, cs flow.CashierStore, opt Options, path string) (int, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".saft-*.xml")
	if err != nil {
		return 0, err
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // normally renamed away already
	w := bufio.NewWriter(tmp)
	af, err := Export(ctx, js, cs, opt, w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return 0, err
	}
	n := 0
	for _, l := range af.Company.Locations {
		for _, cr := range l.CashRegisters {
			n += len(cr.Events)
		}
	}
	return n, nil
}
