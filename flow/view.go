package flow

import "sync"

// View returns the current snapshot.
func (c *Checkout) View() View {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.view
}

// Subscribe calls fn with every new View (the latest, when fn falls behind)
// on a goroutine of its own, until cancel is called.
func (c *Checkout) Subscribe(fn func(View)) (cancel func()) {
	s := &subscriber{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	c.mu.Lock()
	id := c.nextSub
	c.nextSub++
	c.subs[id] = s
	s.offer(c.view)
	c.mu.Unlock()
	go s.run()
	return func() {
		c.mu.Lock()
		if _, ok := c.subs[id]; ok {
			delete(c.subs, id)
			s.close()
		}
		c.mu.Unlock()
	}
}

type subscriber struct {
	fn     func(View)
	mu     sync.Mutex
	latest View
	wake   chan struct{}
	done   chan struct{}
	once   sync.Once
}

func (s *subscriber) offer(v View) {
	s.mu.Lock()
	s.latest = v
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) run() {
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
			s.mu.Lock()
			v := s.latest
			s.mu.Unlock()
			s.fn(v)
		}
	}
}

func (s *subscriber) close() { s.once.Do(func() { close(s.done) }) }

// publishLocked builds the View of the current state and hands it to the
// subscribers. It is only called after the state was stored.
func (c *Checkout) publishLocked() {
	c.version++
	c.view = c.buildViewLocked()
	for _, s := range c.subs {
		s.offer(c.view)
	}
}

func (c *Checkout) buildViewLocked() View {
	v := View{Stage: StageIdle, Currency: c.opt.Currency, Settlement: c.settlement, Parked: c.parked,
		ParkedSales: c.parkedSales, CanPark: c.canParkLocked(),
		CanResume: c.parkedSales > 0 && (c.sale == nil || (c.sale.Stage != StageOpen && c.sale.Stage != StagePaying))}
	if c.notice != nil {
		n := *c.notice
		v.Notice = &n
	}
	s := c.sale
	v.CanChangeLines, v.CanEnrol = mayChangeLines(s), mayEnrol(s).ok()
	v.CanRequestPayment = mayRequestPayment(s, c.pushDisabledLocked()).ok()
	v.CanPayByQR = mayRequestPayment(s, true).ok() || (maySwitchToQR(s) && !cancelAsked(s))
	v.CanCancel = mayCancelPayment(s).ok() && !cancelAsked(s)
	v.CanVoid, v.CanNewSale = mayVoid(s).ok(), mayStartNewSale(s).ok()
	v.CanTender, v.CanPayAnotherWay = mayTender(s).ok(), mayPayAnotherWay(s).ok()
	if s == nil {
		return v
	}
	v.Stage, v.SaleID, v.ReceiptNumber, v.Currency = s.Stage, s.ID, s.ReceiptNumber, s.Currency
	v.Lines = make([]LineView, len(s.Lines))
	for i, l := range s.Lines {
		v.Lines[i] = LineView{GTIN: l.GTIN, Name: l.Name, Quantity: l.Quantity, UnitPrice: l.UnitPrice,
			Discount: l.Discount, Total: l.Total(), VATRate: l.VATRate, MemberSaving: l.MemberSaving,
			Rules: LineRules(l.Rules)}
	}
	c.offerNamesLocked(&v)
	v.Total, v.VAT = s.Total(), s.VATSummary()
	v.Due, v.Paid, v.Rounding, v.Tenders = s.Due(), s.Paid(), s.Rounding(), tenderViews(s)
	if n := len(s.Tenders); n > 0 {
		v.Change = s.Tenders[n-1].Change
	}
	v.Discount, v.MemberSavings = Savings(s.Lines)
	if s.Customer.Identified() && s.Customer.Member == nil && s.Stage == StageOpen {
		v.JoinSavings = JoinSavings(s.Lines, c.rules)
	}
	c.pointsViewLocked(&v, s)
	if cu := s.Customer; cu.Identified() {
		cv := &CustomerView{CheckedIn: cu.CheckedIn}
		if cu.MSISDN != "" {
			cv.MaskedPhone = MaskMSISDN(cu.MSISDN)
		}
		if cu.Member != nil {
			cv.Member, cv.FirstName, cv.Lang = true, cu.Member.FirstName(), cu.Member.Lang
			if s.Enrolment != nil && s.Enrolment.Status == EnrolmentDone {
				cv.Consented = cu.Member.Accepted()
			}
		}
		v.Customer = cv
	}
	if e := s.Enrolment; e != nil {
		v.Enrolment = &EnrolmentView{Status: e.Status, BindingMessage: e.BindingMessage, ExpiresAt: e.ExpiresAt}
	}
	if p := s.Payment; p != nil {
		v.Payment = &PaymentView{Status: p.Status, Reference: p.Reference, Amount: p.Amount,
			ExpiresAt: p.ExpiresAt, QR: p.QR, Push: p.Push, Cancelling: p.CancelRequested && !p.Status.Final()}
	}
	return v
}
