package ui

import (
	"context"
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/kasse-pos/kasse/flow"
)

// cashiersButton opens the till's cashiers: who may log in, and a form to
// add one (a manager's job; the session refuses anyone else).
func (s *storeOps) cashiersButton() fyne.CanvasObject {
	if _, ok := s.ops.Cashiers.(CashierAdder); !ok {
		return nil
	}
	return newButton(s.c.tr.T("cashiers.title"), theme.AccountIcon(), s.showCashiers)
}

// cashierForm is the add-a-cashier form's fields, kept for the tests.
type cashierForm struct {
	name, pin, repeat *widget.Entry
	role              *widget.RadioGroup
	status            *widget.Label
	list              *fyne.Container
	add               *widget.Button
}

func (s *storeOps) showCashiers() {
	t := s.c.tr.T
	f := &cashierForm{name: widget.NewEntry(), pin: widget.NewPasswordEntry(), repeat: widget.NewPasswordEntry(),
		status: widget.NewLabel(""), list: container.NewVBox()}
	roles := []string{t("cashiers.role_cashier"), t("cashiers.role_manager")}
	f.role = widget.NewRadioGroup(roles, nil)
	f.role.Horizontal = true
	f.role.SetSelected(roles[0])
	f.pin.SetPlaceHolder(t("cashiers.pin_hint"))
	f.status.Wrapping = fyne.TextWrapWord
	s.cashierForm = f

	reload := func() {
		load(s.c.w, s.ops.Cashiers.Cashiers, func(cs []flow.Cashier, err error) {
			f.list.RemoveAll()
			if err != nil {
				fyne.LogError("listing the cashiers", err)
				f.list.Add(widget.NewLabel(t("action.failed")))
				return
			}
			for _, c := range cs {
				if !c.Active {
					continue
				}
				role := t("cashiers.role_cashier")
				if c.Role == flow.RoleManager {
					role = t("cashiers.role_manager")
				}
				f.list.Add(widget.NewLabel(c.Name + "  ·  " + role))
			}
		})
	}
	f.add = widget.NewButtonWithIcon(t("cashiers.add"), theme.ContentAddIcon(), func() {
		name, pin := strings.TrimSpace(f.name.Text), f.pin.Text
		if pin != f.repeat.Text {
			f.fail(t("cashiers.problem.repeat"))
			return
		}
		role := flow.RoleCashier
		if f.role.Selected == roles[1] {
			role = flow.RoleManager
		}
		adder := s.ops.Cashiers.(CashierAdder)
		s.c.w.opt.Async(func() {
			ctx, cancel := context.WithTimeout(context.Background(), s.c.w.opt.Timeout)
			defer cancel()
			_, err := adder.AddCashier(ctx, name, role, pin)
			fyne.Do(func() {
				switch {
				case errors.Is(err, flow.ErrNotAllowed):
					f.fail(t("cashiers.problem.manager"))
				case errors.Is(err, flow.ErrNoName):
					f.fail(t("cashiers.problem.name"))
				case errors.Is(err, flow.ErrBadPIN):
					f.fail(t("cashiers.problem.pin"))
				case err != nil:
					fyne.LogError("adding a cashier", err)
					f.fail(t("action.failed"))
				default:
					f.name.SetText("")
					f.pin.SetText("")
					f.repeat.SetText("")
					f.status.Importance = widget.SuccessImportance
					f.status.SetText(t("cashiers.added", map[string]string{"Name": name}))
					reload()
				}
			})
		})
	})
	f.add.Importance = widget.HighImportance
	form := widget.NewForm(
		widget.NewFormItem(t("cashiers.name"), f.name),
		widget.NewFormItem(t("cashiers.role"), f.role),
		widget.NewFormItem(t("cashiers.pin"), f.pin),
		widget.NewFormItem(t("cashiers.repeat"), f.repeat),
	)
	body := container.NewBorder(nil, container.NewVBox(form, f.add, f.status), nil, nil, container.NewVScroll(f.list))
	d := dialog.NewCustom(t("cashiers.title"), t("close"), body, s.c.win)
	d.Resize(s.c.dialogSize())
	reload()
	d.Show()
}

func (f *cashierForm) fail(text string) {
	f.status.Importance = widget.DangerImportance
	f.status.SetText(text)
}
