package ui

import (
	"context"
	"errors"

	"github.com/kasse-pos/kasse/flow"
)

// idleTill stands in when no checkout is wired, so the windows still open
// (e.g. while configuring a new till); every intent is refused.
type idleTill struct{}

var errNoTill = errors.New("the checkout is not running")

func (idleTill) View() flow.View                                  { return flow.View{Stage: flow.StageIdle} }
func (idleTill) Subscribe(func(flow.View)) func()                 { return func() {} }
func (idleTill) Scan(context.Context, flow.Scan) error            { return errNoTill }
func (idleTill) AddProduct(context.Context, string, int) error    { return errNoTill }
func (idleTill) SetQuantity(context.Context, int, int) error      { return errNoTill }
func (idleTill) Enrol(context.Context) error                      { return errNoTill }
func (idleTill) RequestPayment(context.Context) error             { return errNoTill }
func (idleTill) PayByQR(context.Context) error                    { return errNoTill }
func (idleTill) CancelPayment(context.Context) error              { return errNoTill }
func (idleTill) VoidSale(context.Context) error                   { return errNoTill }
func (idleTill) Tender(context.Context, flow.TenderRequest) error { return errNoTill }
func (idleTill) PayAnotherWay(context.Context) error              { return errNoTill }
func (idleTill) NewSale(context.Context) error                    { return errNoTill }
func (idleTill) RetryParked(context.Context, int64) error         { return errNoTill }
func (idleTill) Refund(context.Context, int64, map[int]int) error { return errNoTill }
func (idleTill) RefundTo(context.Context, int64, flow.RefundRequest) (flow.RefundResult, error) {
	return flow.RefundResult{}, errNoTill
}
func (idleTill) Reprint(context.Context, int64) error { return errNoTill }
func (idleTill) ParkSale(context.Context) error       { return errNoTill }
func (idleTill) ParkedSales(context.Context) ([]flow.SaleSummary, error) {
	return nil, errNoTill
}
func (idleTill) ResumeSale(context.Context, int64) error              { return errNoTill }
func (idleTill) ParkedJobs(context.Context) ([]flow.ParkedJob, error) { return nil, errNoTill }
func (idleTill) RecentSales(context.Context, int) ([]flow.SaleSummary, error) {
	return nil, errNoTill
}
func (idleTill) SearchProducts(context.Context, string, int) ([]flow.Product, error) {
	return nil, errNoTill
}
