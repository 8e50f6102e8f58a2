package flow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// OpenWork finds what must be finished before a till closes its day; the
// store has it.
type OpenWork interface {
	// OpenSales returns the till's sales that are neither paid nor voided.
	OpenSales(ctx context.Context, posID string) ([]*Sale, error)
	// ParkedSales returns the till's parked sales.
	ParkedSales(ctx context.Context, posID string) ([]*Sale, error)
	// ParkedRefunds counts refunds of the till's sales that wait for a manager.
	ParkedRefunds(ctx context.Context, posID string) (int, error)
}

// ZBlockedError refuses a Z report: a sale is still open or a refund is
// parked, and the day's figures would change after the day was closed.
type ZBlockedError struct {
	OpenReceipts   []string // receipt numbers of the open sales
	ParkedReceipts []string // receipt numbers of the parked sales
	ParkedRefunds  int
}

func (e *ZBlockedError) Error() string {
	var why []string
	if len(e.OpenReceipts) > 0 {
		why = append(why, "sale "+strings.Join(e.OpenReceipts, ", ")+" is still open (finish or void it)")
	}
	if len(e.ParkedReceipts) > 0 {
		why = append(why, "sale "+strings.Join(e.ParkedReceipts, ", ")+" is parked (resume it, then finish or void it)")
	}
	if e.ParkedRefunds > 0 {
		why = append(why, fmt.Sprintf("%d refund(s) wait for a manager (retry them under Problems)", e.ParkedRefunds))
	}
	return "the Z report is refused: " + strings.Join(why, "; ")
}

// Notice is the refusal for the screen: what to finish first.
func (e *ZBlockedError) Notice() Notice {
	if len(e.OpenReceipts) > 0 {
		return Notice{Kind: NoticeWarning, Key: "reports.z_open_sale", Args: map[string]string{"Receipt": strings.Join(e.OpenReceipts, ", ")},
			Text: "Sale " + strings.Join(e.OpenReceipts, ", ") + " is still open. Finish or void it, then take the Z report."}
	}
	if len(e.ParkedReceipts) > 0 {
		return Notice{Kind: NoticeWarning, Key: "reports.z_parked_sale", Args: map[string]string{"Receipt": strings.Join(e.ParkedReceipts, ", ")},
			Text: "Sale " + strings.Join(e.ParkedReceipts, ", ") + " is parked. Resume it and finish or void it, then take the Z report."}
	}
	n := strconv.Itoa(e.ParkedRefunds)
	return Notice{Kind: NoticeWarning, Key: "reports.z_parked_refund", Args: map[string]string{"Count": n},
		Text: n + " refund(s) wait for a manager. Retry them under Problems, then take the Z report."}
}

// checkDayClosable returns a *ZBlockedError while the till has an open sale
// or a parked refund.
func (j *ElectronicJournal) checkDayClosable(ctx context.Context) error {
	if j.Work == nil {
		return nil
	}
	open, err := j.Work.OpenSales(ctx, j.TillID)
	if err != nil {
		return err
	}
	parkedSales, err := j.Work.ParkedSales(ctx, j.TillID)
	if err != nil {
		return err
	}
	parked, err := j.Work.ParkedRefunds(ctx, j.TillID)
	if err != nil {
		return err
	}
	if len(open) == 0 && len(parkedSales) == 0 && parked == 0 {
		return nil
	}
	e := &ZBlockedError{ParkedRefunds: parked}
	for _, s := range open {
		e.OpenReceipts = append(e.OpenReceipts, s.ReceiptNumber)
	}
	for _, s := range parkedSales {
		e.ParkedReceipts = append(e.ParkedReceipts, s.ReceiptNumber)
	}
	return e
}
