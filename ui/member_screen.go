package ui

import (
	"context"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// Members is the club's door for the manager's member screen: find a
// member, show and export what is kept about them, erase them. The app
// passes flow.Club with a place to save exports.
type Members interface {
	Search(ctx context.Context, query string) ([]flow.Member, error)
	Export(ctx context.Context, id int64) (flow.MemberExport, error)
	// SaveExport writes the member's data as JSON and says where.
	SaveExport(ctx context.Context, id int64) (string, error)
	Erase(ctx context.Context, id int64) error
}

// memberScreen is the manager's member screen: a search field with big
// buttons, a member's points, consent and history, export and erase.
type memberScreen struct {
	c      *cashierWindow
	d      *dialog.CustomDialog
	query  *widget.Entry
	body   *fyne.Container
	scroll *container.Scroll
	status *widget.Label
	// buttons by name, for tests and the real-window driver
	buttons map[string]*touchButton
}

func (c *cashierWindow) showMembers() {
	t := c.tr.T
	if c.ops != nil && c.ops.ops.CanCloseDay != nil && !c.ops.ops.CanCloseDay() {
		// Members' personal data is for a manager's eyes.
		c.showNotice(&flow.Notice{Kind: flow.NoticeWarning, Key: "club.managers_only", Text: "Only a manager may open the member screen."})
		return
	}
	m := &memberScreen{c: c, buttons: map[string]*touchButton{}}
	m.query = widget.NewEntry()
	m.query.SetPlaceHolder(t("club.search_placeholder"))
	m.query.OnSubmitted = func(string) { m.search() }
	search := bigButton(t("club.search"), theme.SearchIcon(), m.search)
	m.buttons["search"] = search
	m.status = widget.NewLabel("")
	m.status.Wrapping = fyne.TextWrapWord
	m.body = container.NewVBox()
	m.scroll = container.NewVScroll(m.body)
	closeBtn := newButton(t("club.close"), theme.CancelIcon(), func() { m.d.Hide() })
	closeBtn.min = fyne.NewSize(160, 64)
	m.buttons["close"] = closeBtn
	top := container.NewBorder(nil, m.status, nil, container.New(&fixedWidth{width: 180}, search), m.query)
	m.d = dialog.NewCustomWithoutButtons(t("club.members_title"), container.NewBorder(top, container.NewHBox(closeBtn), nil, nil, m.scroll), c.win)
	m.d.Resize(c.dialogSize())
	c.members = m
	m.d.Show()
	c.win.Canvas().Focus(m.query)
}

func (m *memberScreen) t(key string, args ...map[string]string) string { return m.c.tr.T(key, args...) }

func (m *memberScreen) search() {
	q := m.query.Text
	load(m.c.w, func(ctx context.Context) ([]flow.Member, error) { return m.c.w.opt.Members.Search(ctx, q) },
		func(found []flow.Member, err error) {
			m.body.RemoveAll()
			m.status.SetText("")
			if err != nil {
				fyne.LogError("searching the club", err)
				m.status.SetText(m.t("club.load_failed"))
				return
			}
			if len(found) == 0 {
				m.status.SetText(m.t("club.none_found"))
			}
			for i, mem := range found {
				id := mem.ID
				b := newButton(memberTitle(mem)+"   "+m.t("club.points_balance", map[string]string{"Balance": strconv.FormatInt(mem.Points, 10)}),
					theme.AccountIcon(), func() { m.show(id) })
				b.Alignment = widget.ButtonAlignLeading
				b.min = fyne.NewSize(MinTouch, 64)
				m.buttons["member."+strconv.Itoa(i)] = b
				m.body.Add(b)
			}
			m.scroll.ScrollToTop()
		})
}

// memberTitle is how the screen names a member: the name and the masked
// phone, never the whole number.
func memberTitle(m flow.Member) string {
	name := strings.TrimSpace(m.Name)
	if name == "" {
		name = m.GivenName
	}
	return strings.TrimSpace(name + "  " + flow.MaskMSISDN(m.MSISDN))
}

// show lays out one member: points, consent, history and what may be done.
func (m *memberScreen) show(id int64) {
	load(m.c.w, func(ctx context.Context) (flow.MemberExport, error) { return m.c.w.opt.Members.Export(ctx, id) },
		func(x flow.MemberExport, err error) {
			m.body.RemoveAll()
			m.status.SetText("")
			if err != nil {
				fyne.LogError("reading a member", err)
				m.status.SetText(m.t("club.load_failed"))
				return
			}
			mem := flow.Member{Name: x.Member.Name, GivenName: x.Member.GivenName, MSISDN: x.Member.Phone}
			head := widget.NewLabelWithStyle(memberTitle(mem), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			head.SizeName = theme.SizeNameSubHeadingText
			var cheques flow.Money
			for _, q := range x.BonusCheques {
				cheques += q.Amount
			}
			points := widget.NewLabel(m.t("club.member_points", map[string]string{"Points": strconv.FormatInt(x.Points, 10), "Cheques": strconv.Itoa(len(x.BonusCheques))}))
			consent := m.t("club.consent", map[string]string{"At": x.Consent.At.Local().Format("02.01.2006 15:04"), "Till": x.Consent.Till, "Scopes": strings.Join(x.Consent.Scopes, ", ")})
			if x.Consent.BindingMessage != "" {
				consent += ", " + m.t("club.binding", map[string]string{"Code": x.Consent.BindingMessage})
			}
			cl := widget.NewLabel(consent)
			cl.Wrapping = fyne.TextWrapWord
			export := bigButton(m.t("club.export"), theme.DocumentSaveIcon(), func() { m.export(id) })
			erase := newButton(m.t("club.erase"), theme.DeleteIcon(), func() { m.confirmErase(id, memberTitle(mem)) })
			erase.Importance = widget.DangerImportance
			erase.min = fyne.NewSize(MinTouch, 72)
			m.buttons["export"], m.buttons["erase"] = export, erase
			m.body.Add(head)
			m.body.Add(points)
			m.body.Add(cl)
			m.body.Add(container.NewGridWithColumns(2, export, erase))
			m.body.Add(widget.NewLabelWithStyle(m.t("club.history"), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
			if len(x.PointsHistory) == 0 {
				m.body.Add(widget.NewLabel(m.t("club.history_empty")))
			}
			for i := len(x.PointsHistory) - 1; i >= 0 && i >= len(x.PointsHistory)-20; i-- {
				h := x.PointsHistory[i]
				sign := "+"
				if h.Points < 0 {
					sign = ""
				}
				m.body.Add(widget.NewLabel(h.At.Local().Format("02.01.2006") + "   " + sign + strconv.FormatInt(h.Points, 10) + "   " + h.Reason))
			}
			m.scroll.ScrollToTop()
		})
}

func (m *memberScreen) export(id int64) {
	load(m.c.w, func(ctx context.Context) (string, error) { return m.c.w.opt.Members.SaveExport(ctx, id) },
		func(path string, err error) {
			if err != nil {
				fyne.LogError("exporting a member's data", err)
				m.status.SetText(m.t("club.export_failed"))
				return
			}
			m.status.SetText(m.t("club.exported", map[string]string{"Path": path}))
		})
}

// confirmErase asks once more, with touch-sized buttons: erasing cannot
// be undone.
func (m *memberScreen) confirmErase(id int64, name string) {
	var d *dialog.CustomDialog
	keep := newButton(m.t("club.keep"), theme.CancelIcon(), func() { d.Hide() })
	erase := newButton(m.t("club.erase"), theme.DeleteIcon(), func() {
		d.Hide()
		load(m.c.w, func(ctx context.Context) (struct{}, error) { return struct{}{}, m.c.w.opt.Members.Erase(ctx, id) },
			func(_ struct{}, err error) {
				m.body.RemoveAll()
				if err != nil {
					fyne.LogError("erasing a member", err)
					m.status.SetText(m.t("club.erase_failed"))
					return
				}
				m.status.SetText(m.t("club.erased"))
			})
	})
	erase.Importance = widget.DangerImportance
	keep.min, erase.min = fyne.NewSize(160, 64), fyne.NewSize(160, 64)
	m.buttons["erase.keep"], m.buttons["erase.confirm"] = keep, erase
	msg := widget.NewLabel(m.t("club.erase_confirm", map[string]string{"Name": name}))
	msg.Wrapping = fyne.TextWrapWord
	d = dialog.NewCustomWithoutButtons(m.t("club.erase"), container.NewVBox(msg, container.NewGridWithColumns(2, keep, erase)), m.c.win)
	d.Resize(fyne.NewSize(520, 280))
	d.Show()
}
