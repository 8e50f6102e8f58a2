package flow

import (
	"context"
	"errors"
	"strconv"
)

// Scan handles a code from any scanner at any time during the sale.
func (c *Checkout) Scan(ctx context.Context, s Scan) error {
	c.mu.Lock()
	err := c.refuseUnattendedLocked()
	c.mu.Unlock()
	if err != nil {
		return err
	}
	switch s.Kind {
	case ScanProduct:
		return c.AddProduct(ctx, s.Code, 1)
	case ScanCustomerQR:
		return c.identify(ctx, s.Code)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	err = c.noticeLocked(NoticeWarning, "scan.unknown_code", "This code is neither a product nor a customer QR.", nil)
	c.publishLocked()
	return err
}

// refuseWhilePayingLocked keeps a sale whose payment request is out
// unchanged: the customer is approving exactly this amount.
func (c *Checkout) refuseWhilePayingLocked() error {
	if c.sale == nil || c.sale.Stage != StagePaying {
		return nil
	}
	err := c.noticeLocked(NoticeWarning, "scan.payment_sent",
		"A payment request has been sent: the sale can no longer change. Cancel the payment first.", nil)
	c.publishLocked()
	return err
}

// AddProduct adds qty of the product with this GTIN.
func (c *Checkout) AddProduct(ctx context.Context, gtin string, qty int) error {
	if qty <= 0 {
		qty = 1
	}
	// The lookup needs no lock: the catalogue does not change with the sale.
	p, lookupErr := c.opt.Store.ProductByGTIN(ctx, gtin)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refuseUnattendedLocked(); err != nil {
		return err
	}
	if err := c.refuseWhilePayingLocked(); err != nil {
		return err
	}
	switch {
	case errors.Is(lookupErr, ErrNoRecord):
		err := c.noticeLocked(NoticeWarning, "scan.unknown_product", "Unknown product "+gtin+".", map[string]string{"gtin": gtin})
		c.publishLocked()
		return err
	case lookupErr != nil:
		c.log.Error("reading the catalogue failed", "gtin", gtin, "err", lookupErr)
		err := c.noticeLocked(NoticeError, "store.failed", storeFailed, nil)
		c.publishLocked()
		return err
	case !p.Active:
		err := c.noticeLocked(NoticeWarning, "scan.inactive_product", p.Name+" is not for sale.", map[string]string{"gtin": gtin, "name": p.Name})
		c.publishLocked()
		return err
	}
	if err := c.ensureSaleLocked(ctx); err != nil {
		c.publishLocked()
		return err
	}
	next := c.sale.Clone()
	merged := false
	for i := range next.Lines {
		l := &next.Lines[i]
		// Discounts are worked out again for the whole cart (priceLocked).
		if l.GTIN == p.GTIN && l.UnitPrice == p.Price && l.MemberPrice == p.MemberPrice && l.Group == p.Group {
			l.Quantity += qty
			merged = true
			break
		}
	}
	if !merged {
		next.Lines = append(next.Lines, SaleLine{GTIN: p.GTIN, Name: p.Name, Quantity: qty, UnitPrice: p.Price, VATRate: p.VATRate, MinimumAge: p.MinimumAge,
			MemberPrice: p.MemberPrice, Group: p.Group})
	}
	return c.commitLocked(ctx, SaleChange{Sale: next, LinesChanged: true})
}

// SetQuantity changes line i (0-based); 0 removes it.
func (c *Checkout) SetQuantity(ctx context.Context, line, qty int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.refuseWhilePayingLocked(); err != nil {
		return err
	}
	if !mayChangeLines(c.sale) || line < 0 || line >= len(c.sale.Lines) || qty < 0 {
		err := c.noticeLocked(NoticeWarning, "cart.no_such_line", "There is no such line to change.", nil)
		c.publishLocked()
		return err
	}
	next := c.sale.Clone()
	ch := SaleChange{Sale: next, LinesChanged: true}
	old := next.Lines[line]
	if qty == 0 {
		next.Lines = append(next.Lines[:line], next.Lines[line+1:]...)
		// Removing a scanned line is a correction the audit trail must show.
		ch.Journal = append(ch.Journal, c.entry(next, state(next), "line removed: "+old.Name+" ×"+strconv.Itoa(old.Quantity)))
	} else {
		next.Lines[line].Quantity = qty
	}
	return c.commitLocked(ctx, ch)
}

// SearchProducts finds active products by name or GTIN prefix.
func (c *Checkout) SearchProducts(ctx context.Context, query string, limit int) ([]Product, error) {
	return c.opt.Store.SearchProducts(ctx, query, limit)
}
