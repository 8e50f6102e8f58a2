package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// recentSales is how many finished sales the cashier can reprint or refund.
const recentSales = 10

func (c *cashierWindow) confirmVoid() {
	t := c.tr.T
	var d *dialog.CustomDialog
	done := func(ok bool) func() {
		return func() {
			d.Hide()
			c.confirmButtons = nil
			if ok {
				c.w.do(c.w.opt.Till.VoidSale)
			}
		}
	}
	keep := newButton(t("Cancel"), theme.CancelIcon(), done(false))
	void := newButton(t("sale.void"), theme.DeleteIcon(), done(true))
	void.Importance = widget.DangerImportance
	keep.min, void.min = fyne.NewSize(160, 64), fyne.NewSize(160, 64)
	c.confirmButtons = map[string]*touchButton{"keep": keep, "void": void}
	msg := widget.NewLabel(t("sale.void_confirm"))
	msg.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomWithoutButtons(t("sale.void"), container.NewVBox(msg, container.NewGridWithColumns(2, keep, void)), c.win)
	d.Resize(fyne.NewSize(480, 240))
	d.Show()
}

// showParked lists the settlement jobs that need a manager, each with Retry.
func (c *cashierWindow) showParked() {
	t := c.tr.T
	list := container.NewVBox(widget.NewLabel("…"))
	scroll := container.NewVScroll(list)
	d := dialog.NewCustom(t("parked.title"), t("close"), scroll, c.win)
	d.Resize(c.dialogSize())
	var refresh func()
	refresh = func() {
		load(c.w, c.w.opt.Till.ParkedJobs, func(jobs []flow.ParkedJob, err error) {
			list.RemoveAll()
			if err != nil {
				fyne.LogError("listing the settlement problems", err)
				list.Add(widget.NewLabel(t("action.failed")))
				return
			}
			if len(jobs) == 0 {
				list.Add(widget.NewLabel(t("parked.none")))
			}
			for _, j := range jobs {
				id := j.ID
				title := widget.NewLabelWithStyle(t("parked.job", map[string]string{
					"Job": t("job." + j.Job), "Receipt": j.ReceiptNumber,
				})+"  ·  "+j.Since.Format("02.01. 15:04"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
				why := widget.NewLabel(j.Error)
				why.Wrapping = fyne.TextWrapWord
				why.SizeName = theme.SizeNameCaptionText
				lines := container.NewVBox(title)
				if !j.CaptureBy.IsZero() && j.Job == flow.JobCapture {
					// Vipps' guarantee of the reservation runs out: say
					// until when, first and in the warning colour.
					by := widget.NewLabelWithStyle(t("parked.capture_by", map[string]string{
						"When": j.CaptureBy.In(time.Local).Format("02.01. 15:04")}), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
					by.Importance = widget.DangerImportance
					by.Wrapping = fyne.TextWrapWord
					lines.Add(by)
				}
				lines.Add(why)
				retry := newButton(t("parked.retry"), theme.ViewRefreshIcon(), func() {
					c.w.opt.Async(func() {
						ctx, cancel := context.WithTimeout(context.Background(), c.w.opt.Timeout)
						defer cancel()
						_ = c.w.opt.Till.RetryParked(ctx, id)
						fyne.Do(refresh)
					})
				})
				list.Add(container.NewBorder(nil, widget.NewSeparator(), nil, retry, lines))
			}
			// The scroll must be laid out again with its new list, or the
			// rows stay hidden until touched.
			scroll.Refresh()
		})
	}
	refresh()
	d.Show()
}

// showParkedSales lists this till's parked sales, each with Resume.
func (c *cashierWindow) showParkedSales() {
	t := c.tr.T
	list := container.NewVBox(widget.NewLabel("…"))
	d := dialog.NewCustom(t("sale.parked"), t("close"), container.NewVScroll(list), c.win)
	d.Resize(c.dialogSize())
	load(c.w, c.w.opt.Till.ParkedSales, func(sales []flow.SaleSummary, err error) {
		list.RemoveAll()
		if err != nil {
			list.Add(widget.NewLabel(t("load.failed", map[string]string{"Error": err.Error()})))
			return
		}
		if len(sales) == 0 {
			list.Add(widget.NewLabel(t("sale.parked_none")))
		}
		for _, s := range sales {
			id := s.SaleID
			head := s.At.Format("15:04") + "  " + t("sale.receipt", map[string]string{"Receipt": s.ReceiptNumber}) + "  " + c.money(s.Total)
			resume := newButton(t("sale.resume"), theme.MediaPlayIcon(), func() {
				d.Hide()
				c.w.do(func(ctx context.Context) error { return c.w.opt.Till.ResumeSale(ctx, id) })
			})
			list.Add(container.NewBorder(nil, widget.NewSeparator(), nil, resume,
				widget.NewLabelWithStyle(head, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})))
		}
	})
	d.Show()
}

// showSales lists the last sales with Reprint and Refund.
func (c *cashierWindow) showSales() {
	t := c.tr.T
	list := container.NewVBox(widget.NewLabel("…"))
	scroll := container.NewVScroll(list)
	d := dialog.NewCustom(t("sales.title"), t("close"), scroll, c.win)
	d.Resize(c.dialogSize())
	c.loadSales(list, scroll)
	d.Show()
}

// loadSales lists the last sales; again after a refund, so it shows.
func (c *cashierWindow) loadSales(list *fyne.Container, scroll *container.Scroll) {
	t := c.tr.T
	load(c.w, func(ctx context.Context) ([]flow.SaleSummary, error) {
		return c.w.opt.Till.RecentSales(ctx, recentSales)
	}, func(sales []flow.SaleSummary, err error) {
		list.RemoveAll()
		if err != nil {
			fyne.LogError("listing the last sales", err)
			list.Add(widget.NewLabel(t("action.failed")))
			return
		}
		if len(sales) == 0 {
			list.Add(widget.NewLabel(t("sales.none")))
		}
		for _, s := range sales {
			list.Add(c.saleRow(s, func() { c.loadSales(list, scroll) }))
		}
		scroll.Refresh()
	})
}

func (c *cashierWindow) saleRow(s flow.SaleSummary, reload func()) fyne.CanvasObject {
	t := c.tr.T
	head := s.At.Format("15:04") + "  " + t("sale.receipt", map[string]string{"Receipt": s.ReceiptNumber}) + "  " + c.money(s.Total)
	if s.Member {
		head += "  ★ " + t("sales.member")
	}
	detail := t("pay." + string(s.Payment))
	if s.Settlement != "" {
		detail += " · " + t("settlement."+string(s.Settlement))
	}
	if s.Refunded > 0 {
		detail += " · " + t("sales.refunded", map[string]string{"Amount": c.money(s.Refunded)})
	}
	sub := widget.NewLabel(detail)
	sub.SizeName = theme.SizeNameCaptionText
	id := s.SaleID
	reprint := newButton(t("sales.reprint"), theme.DocumentPrintIcon(), func() {
		c.w.do(func(ctx context.Context) error { return c.w.opt.Till.Reprint(ctx, id) })
	})
	refund := newButton(t("sales.refund"), theme.MediaReplayIcon(), func() { c.confirmRefund(s, reload) })
	refund.setEnabled((s.Payment == flow.PaymentAuthorized || s.Stage == flow.StagePaid) && s.Refunded < s.Total)
	return container.NewBorder(nil, widget.NewSeparator(), nil, container.NewHBox(reprint, refund),
		container.NewVBox(widget.NewLabelWithStyle(head, fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), sub))
}

func (c *cashierWindow) dialogSize() fyne.Size {
	s := c.win.Canvas().Size()
	return fyne.NewSize(min(s.Width*0.9, 900), min(s.Height*0.8, 700))
}
