// Command demo opens the till's windows on the real checkout with the
// in-memory store and a scripted Vipps, for looking at the screens without
// Vipps or a database:
//
//	xvfb-run -a -s "-screen 0 2560x900x24" env LIBGL_ALWAYS_SOFTWARE=1 go run ./ui/internal/demo -at waiting
package main

import (
	"context"
	"flag"
	"log"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
	"github.com/kasse-pos/kasse/ui/internal/shop"
)

type phone struct{ s *shop.Shop }

func (p phone) Pushes() []ui.PhonePush {
	var out []ui.PhonePush
	for _, f := range p.s.Pushes() {
		out = append(out, ui.PhonePush{ID: f.ID, Kind: f.Kind, Amount: f.Amount, Currency: f.Currency,
			BindingMessage: f.BindingMessage, MSISDN: f.MSISDN, Title: "Demobutikken"})
	}
	return out
}
func (p phone) Answer(id string, ok bool) error { return p.s.Answer(context.Background(), id, ok) }
func (p phone) OnChange(fn func())              { p.s.OnChange(fn) }

var (
	kari = shop.Customer{QR: "kari", MSISDN: "4791234567", Name: "Kari Nordmann", GivenName: "Kari", Member: true}
	ola  = shop.Customer{QR: "ola", MSISDN: "4798765432", Name: "Ola Hansen", GivenName: "Ola"}
)

func main() {
	at := flag.String("at", "", "start at: cart, waiting, enrol, qr, paid, declined")
	lang := flag.String("lang", "nb", "cashier language")
	w, h := flag.Int("w", 1024, "cashier width"), flag.Int("h", 768, "cashier height")
	flag.Parse()

	ctx := context.Background()
	s, err := shop.Open(ctx, shop.Options{Products: []flow.Product{
		{GTIN: "7038010069307", Name: "Lettmelk 1 l", Price: 2490, VATRate: 15, Active: true},
		{GTIN: "7311041013663", Name: "Kaffe 500 g", Price: 8990, VATRate: 15, Active: true},
		{GTIN: "7090026220011", Name: "Handlenett", Price: 450, VATRate: 25, Active: true},
		{GTIN: "7039010019811", Name: "Brunost Gudbrandsdalen 500 g", Price: 10990, VATRate: 15, Active: true},
	}, Customers: []shop.Customer{kari, ola}})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	till := s.Checkout
	scan := func(code string) {
		_ = till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: code, Source: "customer"})
	}
	// wait lets the checkout's calls to the scripted Vipps come back.
	wait := func(ok func(v flow.View) bool) {
		for end := time.Now().Add(5 * time.Second); !ok(till.View()) && time.Now().Before(end); {
			time.Sleep(10 * time.Millisecond)
		}
	}
	waiting := func(v flow.View) bool { return v.Payment != nil && v.Payment.Status == flow.PaymentWaiting }
	pending := func(kind string) string {
		wait(func(flow.View) bool {
			for _, p := range s.Pushes() {
				if p.Kind == kind {
					return true
				}
			}
			return false
		})
		for _, p := range s.Pushes() {
			if p.Kind == kind {
				return p.ID
			}
		}
		return ""
	}
	switch *at {
	case "cart", "waiting", "paid", "declined":
		scan(kari.QR)
		wait(func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
		_ = till.AddProduct(ctx, "7038010069307", 2)
		_ = till.AddProduct(ctx, "7039010019811", 1)
		_ = till.AddProduct(ctx, "7090026220011", 1)
		if *at != "cart" {
			_ = till.RequestPayment(ctx)
			wait(waiting)
		}
		if *at == "paid" || *at == "declined" {
			_ = s.Answer(ctx, pending("payment"), *at == "paid")
		}
	case "enrol", "qr":
		scan(ola.QR)
		wait(func(v flow.View) bool { return v.Customer != nil && v.Customer.MaskedPhone != "" })
		_ = till.AddProduct(ctx, "7311041013663", 1)
		_ = till.Enrol(ctx)
		if *at == "qr" {
			_ = s.Answer(ctx, pending("login"), true)
			wait(func(v flow.View) bool { return v.Customer != nil && v.Customer.Member })
			_ = till.PayByQR(ctx)
			wait(waiting)
		}
	}

	a := fyneapp.NewWithID("no.kasse.demo")
	win := ui.New(a, ui.Options{Till: till, Phone: phone{s}, StoreName: "Demobutikken", Lang: *lang,
		CustomerDisplay: ui.Display{X: *w, Y: 0}})
	win.Cashier.Resize(fyne.NewSize(float32(*w), float32(*h)))
	win.Customer.Resize(fyne.NewSize(1024, 768))
	scanner := a.NewWindow("scanner (demo)")
	scanner.SetContent(container.NewVBox(
		widget.NewButton("Kari scans her QR", func() { go scan(kari.QR) }),
		widget.NewButton("Ola scans his QR", func() { go scan(ola.QR) }),
		widget.NewButton("The customer pays the QR", func() {
			go func() {
				if v := till.View(); v.Payment != nil && v.Payment.QR != "" {
					s.Vipps.Approve(v.Payment.Reference)
					_ = s.Notify(ctx, v.Payment.Reference)
				}
			}()
		}),
		widget.NewButton("The settlement worker runs", func() { go func() { _ = s.Settle(ctx) }() }),
	))
	scanner.Show()
	win.ShowAndRun()
}
