package ui

import (
	"fyne.io/fyne/v2"

	"github.com/kasse-pos/kasse/flow"
)

// StandingNotice puts a notice on the cashier screen that stays until the
// till restarts: shown whenever no notice of a sale is, it says what is
// wrong with the till itself (keys Vipps refused, training for want of
// keys) and what to do. key is one of NoticeKeys. Safe from any goroutine.
func (w *Windows) StandingNotice(key string, kind flow.NoticeKind) {
	n := &flow.Notice{Kind: kind, Key: key}
	fyne.Do(func() {
		w.cashier.standing = n
		if w.cashier.notice.Text == "" {
			w.cashier.setNotice(nil)
		}
	})
}
