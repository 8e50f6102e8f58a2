// Command demo opens the till's windows on the fake checkout, for looking
// at the screens without Vipps or a database:
//
//	xvfb-run -a -s "-screen 0 2560x900x24" env LIBGL_ALWAYS_SOFTWARE=1 go run ./ui/internal/demo -at waiting
package main

import (
	"context"
	"flag"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/ui"
	"github.com/kasse-pos/kasse/ui/internal/fake"
)

type phone struct {
	t  *fake.Till
	fn []func()
}

func (p *phone) Pushes() []ui.PhonePush {
	var out []ui.PhonePush
	for _, f := range p.t.Pushes() {
		out = append(out, ui.PhonePush{ID: f.ID, Kind: f.Kind, Amount: f.Amount, Currency: f.Currency, BindingMessage: f.BindingMessage, MSISDN: fake.Mask(f.MSISDN), Title: "Demobutikken"})
	}
	return out
}
func (p *phone) Answer(id string, ok bool) error { return p.t.Answer(id, ok) }
func (p *phone) OnChange(fn func())              { p.fn = append(p.fn, fn) }

func main() {
	at := flag.String("at", "", "start at: cart, waiting, enrol, qr, paid, declined")
	lang := flag.String("lang", "nb", "cashier language")
	w, h := flag.Int("w", 1024, "cashier width"), flag.Int("h", 768, "cashier height")
	flag.Parse()

	till := fake.New(time.Now, []flow.Product{
		{GTIN: "7038010069307", Name: "Lettmelk 1 l", Price: 2490, VATRate: 15, Active: true},
		{GTIN: "7311041013663", Name: "Kaffe 500 g", Price: 8990, VATRate: 15, Active: true},
		{GTIN: "7090026220011", Name: "Handlenett", Price: 450, VATRate: 25, Active: true},
		{GTIN: "7039010019811", Name: "Brunost Gudbrandsdalen 500 g", Price: 10990, VATRate: 15, Active: true},
	}, []fake.Customer{
		{QR: "kari", MSISDN: "4791234567", FirstName: "Kari", Member: true},
		{QR: "ola", MSISDN: "4798765432", FirstName: "Ola"},
	})
	ph := &phone{t: till}
	till.Subscribe(func(flow.View) {
		for _, f := range ph.fn {
			f()
		}
	})
	ctx := context.Background()
	scan := func(code string) { _ = till.Scan(ctx, flow.Scan{Kind: flow.ScanCustomerQR, Code: code}) }
	switch *at {
	case "cart", "waiting", "paid", "declined":
		scan("kari")
		_ = till.AddProduct(ctx, "7038010069307", 2)
		_ = till.AddProduct(ctx, "7039010019811", 1)
		_ = till.AddProduct(ctx, "7090026220011", 1)
		if *at != "cart" {
			_ = till.RequestPayment(ctx)
		}
		if *at == "paid" {
			_ = till.Approve()
		}
		if *at == "declined" {
			_ = till.Decline()
		}
	case "enrol", "qr":
		scan("ola")
		_ = till.AddProduct(ctx, "7311041013663", 1)
		_ = till.Enrol(ctx)
		if *at == "qr" {
			_ = till.AnswerEnrolment(true)
			_ = till.PayByQR(ctx)
		}
	}

	a := fyneapp.NewWithID("no.kasse.demo")
	win := ui.New(a, ui.Options{Till: till, Phone: ph, StoreName: "Demobutikken", Lang: *lang,
		CustomerDisplay: ui.Display{X: *w, Y: 0}})
	win.Cashier.Resize(fyne.NewSize(float32(*w), float32(*h)))
	win.Customer.Resize(fyne.NewSize(1024, 768))
	scanner := a.NewWindow("scanner (demo)")
	scanner.SetContent(container.NewVBox(
		widget.NewButton("Kari scans her QR", func() { go scan("kari") }),
		widget.NewButton("Ola scans his QR", func() { go scan("ola") }),
	))
	scanner.Show()
	win.ShowAndRun()
}
