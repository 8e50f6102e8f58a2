package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// CashDrawer is the cash drawer as the cashier's session sees it: the
// change float put in when a cashier starts, the cash counted at the close
// (the Z shows the difference), and an opening without a sale. Each is
// journaled (flow.ElectronicJournal has them).
type CashDrawer interface {
	RecordCashFloat(ctx context.Context, amount flow.Money) error
	RecordCashCount(ctx context.Context, amount flow.Money) error
	DrawerOpened(ctx context.Context, reason string) error
}

// askFloat asks the cashier who just logged in for the change float.
func (s *storeOps) askFloat() {
	t := s.c.tr.T
	s.amountDialog(t("tender.float_title"), t("tender.float_text"), func(ctx context.Context, m flow.Money) error {
		return s.ops.Cash.RecordCashFloat(ctx, m)
	})
}

// cashButtons are the drawer's tools on the reports screen.
func (s *storeOps) cashButtons() fyne.CanvasObject {
	t := s.c.tr.T
	count := newButton(t("tender.count"), theme.ListIcon(), func() {
		s.amountDialog(t("tender.count_title"), t("tender.count_text"), func(ctx context.Context, m flow.Money) error {
			return s.ops.Cash.RecordCashCount(ctx, m)
		})
	})
	open := newButton(t("tender.open_drawer"), theme.DownloadIcon(), func() {
		s.c.w.opt.Async(func() {
			ctx, cancel := context.WithTimeout(context.Background(), s.c.w.opt.Timeout)
			defer cancel()
			if err := s.ops.Cash.DrawerOpened(ctx, "drawer opened without a sale"); err != nil {
				fyne.LogError("opening the drawer", err)
			}
		})
	})
	return container.NewGridWithColumns(2, count, open)
}

// amountDialog asks for an amount of cash and records it.
func (s *storeOps) amountDialog(title, text string, record func(ctx context.Context, m flow.Money) error) {
	t := s.c.tr.T
	msg := widget.NewLabel(text)
	msg.Wrapping = fyne.TextWrapWord
	amount := widget.NewEntry()
	amount.SetPlaceHolder("0")
	var d *dialog.CustomDialog
	save := func() {
		m, ok := parseAmount(strings.ReplaceAll(strings.TrimSpace(amount.Text), ".", ","))
		if !ok {
			return
		}
		d.Hide()
		s.c.confirmButtons = nil
		s.c.w.opt.Async(func() {
			ctx, cancel := context.WithTimeout(context.Background(), s.c.w.opt.Timeout)
			defer cancel()
			if err := record(ctx, m); err != nil {
				fyne.LogError("recording cash", err)
			}
		})
	}
	amount.OnSubmitted = func(string) { save() }
	ok := newButton(t("tender.save"), theme.ConfirmIcon(), save)
	ok.Importance = widget.HighImportance
	ok.min = fyne.NewSize(160, 64)
	// Named for the window's control map: "dialog.cash.save".
	s.c.confirmButtons = map[string]*touchButton{"cash.save": ok}
	d = dialog.NewCustomWithoutButtons(title, container.NewVBox(msg, amount, ok), s.c.win)
	d.Resize(fyne.NewSize(480, 280))
	d.Show()
	s.c.win.Canvas().Focus(amount)
}

// confirmRefund asks how the customer takes a return: back through the
// tenders the sale was paid with, or as a credit note (its code is shown
// to write on or scan from the slip).
func (c *cashierWindow) confirmRefund(s flow.SaleSummary, reload func()) {
	t := c.tr.T
	msg := widget.NewLabel(t("sales.refund_confirm", map[string]string{"Amount": c.money(s.Total - s.Refunded), "Receipt": s.ReceiptNumber}))
	msg.Wrapping = fyne.TextWrapWord
	var d *dialog.CustomDialog
	run := func(credit bool) func() {
		return func() {
			d.Hide()
			c.w.do(func(ctx context.Context) error {
				res, err := c.w.opt.Till.RefundTo(ctx, s.SaleID, flow.RefundRequest{CreditNote: credit})
				fyne.Do(func() {
					reload()
					if err == nil && res.CreditNote != nil {
						dialog.ShowInformation(t("tender.credit_note"), t("tender.credit_note_issued",
							map[string]string{"Code": res.CreditNote.Code, "Amount": c.money(res.CreditNote.Amount)}), c.win)
					}
				})
				return err
			})
		}
	}
	back := newButton(t("sales.refund"), theme.MediaReplayIcon(), run(false))
	back.Importance = widget.HighImportance
	note := newButton(t("tender.credit_note"), theme.DocumentIcon(), run(true))
	cancel := newButton(t("Cancel"), theme.CancelIcon(), func() { d.Hide() })
	for _, b := range []*touchButton{back, note, cancel} {
		b.min = fyne.NewSize(150, 64)
	}
	d = dialog.NewCustomWithoutButtons(t("sales.refund"), container.NewVBox(msg, container.NewGridWithColumns(3, cancel, note, back)), c.win)
	d.Resize(fyne.NewSize(560, 240))
	d.Show()
}
