package flow

import "errors"

// logFailedLocked logs what a step no intent waits for (a poll, a webhook,
// a timer, the cancel's answer) could not do: there is no caller to return
// the error to. A store failure is already on the screen (commitLocked
// shows it); this keeps its cause in the log with the sale it was for.
func (c *Checkout) logFailedLocked(err error) {
	if err == nil {
		return
	}
	var saleID int64
	if c.sale != nil {
		saleID = c.sale.ID
	}
	if shown := new(NoticedError); errors.As(err, &shown) {
		c.log.Info("checkout step ended with a notice", "sale", saleID, "err", err)
		return
	}
	c.log.Warn("checkout step failed", "sale", saleID, "err", err)
}
