package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	phone "github.com/kasse-pos/kasse/internal/msisdn"
)

// Payment states (ePayment §6.6). Only CREATED is not final.
const (
	StateCreated    = "CREATED"
	StateAuthorized = "AUTHORIZED"
	StateAborted    = "ABORTED"
	StateExpired    = "EXPIRED"
	StateTerminated = "TERMINATED"
)

type money struct {
	Currency string `json:"currency"`
	Value    int64  `json:"value"`
}

type aggregate struct {
	AuthorizedAmount money `json:"authorizedAmount"`
	CancelledAmount  money `json:"cancelledAmount"`
	CapturedAmount   money `json:"capturedAmount"`
	RefundedAmount   money `json:"refundedAmount"`
}

type paymentEvent struct {
	Reference      string  `json:"reference"`
	PSPReference   string  `json:"pspReference"`
	Name           string  `json:"name"`
	Amount         money   `json:"amount"`
	Timestamp      string  `json:"timestamp"`
	IdempotencyKey *string `json:"idempotencyKey"`
	Success        bool    `json:"success"`
}

type payment struct {
	reference    string
	pspReference string // of the CREATED event
	amount       money
	method       string
	userFlow     string
	msisdn       string
	description  string
	metadata     map[string]string
	profileScope string
	redirectURL  string
	token        string // force-approve / landing token
	hasReceipt   bool

	state       string
	created     time.Time
	expiresAt   time.Time
	authorizing time.Time // user approved; AUTHORIZED at this time (cancel ⇒ 6250 until then)
	guaranteed  time.Time // captureGuaranteedUntil, once AUTHORIZED

	authorized, cancelled, captured, refunded int64
	captures, refunds                         int

	events []paymentEvent
	pushID string
}

func (p *payment) aggregate() aggregate {
	c := p.amount.Currency
	return aggregate{money{c, p.authorized}, money{c, p.cancelled}, money{c, p.captured}, money{c, p.refunded}}
}

// createPaymentRequest lists every documented field, so that unknown ones
// can be refused as the real service does.
type createPaymentRequest struct {
	Amount              *money          `json:"amount"`
	Customer            *customer       `json:"customer"`
	MinimumUserAge      *int            `json:"minimumUserAge"`
	CustomerInteraction *string         `json:"customerInteraction"`
	IndustryData        json.RawMessage `json:"industryData"`
	PaymentMethod       *struct {
		Type           string   `json:"type"`
		BlockedSources []string `json:"blockedSources"`
	} `json:"paymentMethod"`
	Profile *struct {
		Scope string `json:"scope"`
	} `json:"profile"`
	Reference          string            `json:"reference"`
	ReturnURL          *string           `json:"returnUrl"`
	UserFlow           string            `json:"userFlow"`
	ExpiresAt          *string           `json:"expiresAt"`
	QRFormat           json.RawMessage   `json:"qrFormat"`
	PaymentDescription *string           `json:"paymentDescription"`
	Receipt            *receipt          `json:"receipt"`
	Metadata           map[string]string `json:"metadata"`
	ReceiptURL         *string           `json:"receiptUrl"`
	Shipping           json.RawMessage   `json:"shipping"`
}

type customer struct {
	PhoneNumber   *string `json:"phoneNumber,omitempty"`
	PersonalQr    *string `json:"personalQr,omitempty"`
	CustomerToken *string `json:"customerToken,omitempty"`
}

type createPaymentResponse struct {
	Reference   string `json:"reference"`
	RedirectURL string `json:"redirectUrl,omitempty"`
}

type getPaymentResponse struct {
	Aggregate     aggregate         `json:"aggregate"`
	Amount        money             `json:"amount"`
	State         string            `json:"state"`
	PaymentMethod map[string]string `json:"paymentMethod"`
	Profile       map[string]string `json:"profile"`
	PSPReference  string            `json:"pspReference"`
	Reference     string            `json:"reference"`
	RedirectURL   string            `json:"redirectUrl,omitempty"`
	Metadata      map[string]string `json:"metadata,omitempty"`
	// CaptureGuaranteedUntil (Aug 2026, not in the copied spec): until
	// when the reservation is guaranteed.
	CaptureGuaranteedUntil string `json:"captureGuaranteedUntil,omitempty"`
}

type modificationRequest struct {
	ModificationAmount *money `json:"modificationAmount"`
}

type cancelRequest struct {
	CancelTransactionOnly bool `json:"cancelTransactionOnly"`
}

type modificationResponse struct {
	Amount       money     `json:"amount"`
	State        string    `json:"state"`
	Aggregate    aggregate `json:"aggregate"`
	PSPReference string    `json:"pspReference"`
	Reference    string    `json:"reference"`
}

var (
	referenceRe = regexp.MustCompile(`^[a-zA-Z0-9-]{8,64}$`)
	msnRe       = regexp.MustCompile(`^[0-9]{4,7}$`)
	returnURLRe = regexp.MustCompile(`^(https://[^\s]+|[a-zA-Z][a-zA-Z0-9+.-]*://[^\s]+)$`)
)

var epaymentAuth = apiAuth{needMSN: true, problemJSON: true}

// minimumAmount per currency (minor units).
var minimumAmount = map[string]int64{"NOK": 100, "DKK": 1, "EUR": 1}

func (s *Sim) handleCreatePayment(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, epaymentAuth) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var peek struct {
		Reference string `json:"reference"`
	}
	_ = json.Unmarshal(body, &peek)
	if !s.rateLimit(w, r, "create", peek.Reference, s.limitFor(true)) {
		return
	}
	s.idempotent(w, r, idemSpec{op: "create", required: true, conflictCode: "4020"}, body, func() reply {
		return s.createPayment(r, body)
	})
}

func (s *Sim) createPayment(r *http.Request, body []byte) reply {
	var req createPaymentRequest
	if err := unmarshalStrict(body, &req); err != nil {
		return problemReply(validationProblem(r, []extraDetail{{Name: "body", Reason: err.Error()}}))
	}
	var bad []extraDetail
	field := func(name, reason string) { bad = append(bad, extraDetail{Name: name, Reason: reason}) }
	if req.Amount == nil {
		field("amount", "The Amount field is required.")
	} else {
		if _, ok := minimumAmount[req.Amount.Currency]; !ok {
			field("amount.currency", "The field Currency must be one of NOK, DKK, EUR.")
		}
		if req.Amount.Value < 0 || req.Amount.Value > 65000000 {
			field("amount.value", "The field Value must be between 0 and 65000000.")
		}
	}
	if req.PaymentMethod == nil {
		field("paymentMethod", "The PaymentMethod field is required.")
	} else if req.PaymentMethod.Type != "WALLET" && req.PaymentMethod.Type != "CARD" {
		field("paymentMethod.type", "The field Type must be one of WALLET, CARD.")
	}
	if !referenceRe.MatchString(req.Reference) {
		field("reference", "The field Reference must match the regular expression '^[a-zA-Z0-9-]{8,64}$'.")
	}
	switch req.UserFlow {
	case "PUSH_MESSAGE", "NATIVE_REDIRECT", "WEB_REDIRECT", "QR":
	default:
		field("userFlow", "The field UserFlow must be one of PUSH_MESSAGE, NATIVE_REDIRECT, WEB_REDIRECT, QR.")
	}
	if req.CustomerInteraction != nil && *req.CustomerInteraction != "CUSTOMER_PRESENT" && *req.CustomerInteraction != "CUSTOMER_NOT_PRESENT" {
		field("customerInteraction", "The field CustomerInteraction must be one of CUSTOMER_PRESENT, CUSTOMER_NOT_PRESENT.")
	}
	if d := req.PaymentDescription; d != nil && (len([]rune(*d)) < 3 || len([]rune(*d)) > 100) {
		field("paymentDescription", "The field PaymentDescription must be a string with a minimum length of 3 and a maximum length of 100.")
	}
	if req.MinimumUserAge != nil && (*req.MinimumUserAge < 0 || *req.MinimumUserAge > 100) {
		field("minimumUserAge", "The field MinimumUserAge must be between 0 and 100.")
	}
	if req.Receipt != nil {
		bad = append(bad, req.Receipt.validate("receipt.")...)
	}
	bad = append(bad, validateQRFormat(req.QRFormat)...)
	bad = append(bad, validateIndustryData(req.IndustryData)...)
	if len(bad) > 0 {
		return problemReply(validationProblem(r, bad))
	}
	fail := func(e *domainError) reply { return problemReply(e.problem(r)) }
	if req.Amount.Currency != s.cfg.Currency {
		return fail(derr(400, "5040", "Invalid currency for this sales unit"))
	}
	if req.UserFlow == "PUSH_MESSAGE" && s.noPush.Load() {
		return fail(derr(400, "5080", "Skip landing page not allowed"))
	}
	if req.Amount.Value < minimumAmount[req.Amount.Currency] {
		return fail(derr(400, "6010", "Amount too small"))
	}
	if req.PaymentMethod.Type == "CARD" && req.UserFlow != "WEB_REDIRECT" {
		return fail(derr(400, "4160", "Invalid payment method type"))
	}
	if len(req.PaymentMethod.BlockedSources) > 0 && s.cfg.Currency == "NOK" {
		return fail(derr(400, "5010", "Blocked sources are not applicable"))
	}
	if len(req.Metadata) > 5 {
		return fail(derr(400, "4100", "Too many metadata entries"))
	}
	for k, v := range req.Metadata {
		if len(k) > 100 {
			return fail(derr(400, "4110", "Metadata key too long"))
		}
		if len(v) > 500 {
			return fail(derr(400, "4120", "Metadata value too long"))
		}
	}
	if req.Profile != nil && !validProfileScope(req.Profile.Scope) {
		return fail(derr(400, "4080", "Invalid scope"))
	}
	if req.UserFlow == "WEB_REDIRECT" && (req.ReturnURL == nil || *req.ReturnURL == "") {
		return fail(derr(400, "4140", "Missing required parameter: returnUrl"))
	}
	if req.ReturnURL != nil && *req.ReturnURL != "" && !returnURLRe.MatchString(*req.ReturnURL) {
		return fail(derr(400, "4090", "Invalid URL"))
	}
	if req.ReceiptURL != nil && !returnURLRe.MatchString(*req.ReceiptURL) {
		return fail(derr(400, "4090", "Invalid URL"))
	}
	msisdn := ""
	if req.Customer != nil {
		n := 0
		for _, v := range []*string{req.Customer.PhoneNumber, req.Customer.PersonalQr, req.Customer.CustomerToken} {
			if v != nil {
				n++
			}
		}
		if n != 1 {
			return problemReply(validationProblem(r, []extraDetail{{Name: "customer", Reason: "Exactly one of phoneNumber, personalQr and customerToken must be given."}}))
		}
		switch {
		case req.Customer.PhoneNumber != nil:
			if !msisdnRe.MatchString(*req.Customer.PhoneNumber) {
				return fail(derr(400, "4070", "Invalid phone number"))
			}
			msisdn = *req.Customer.PhoneNumber
		case req.Customer.PersonalQr != nil:
			q := *req.Customer.PersonalQr
			if len(q) < 5 || len(q) > 255 {
				return fail(derr(400, "4060", "Invalid personal QR"))
			}
			if m := legacyQRRe.FindStringSubmatch(q); m != nil {
				msisdn = m[1]
			} else if m := tokenQRRe.FindStringSubmatch(q); m != nil && DemoQRTokens[m[1]] != "" {
				msisdn = DemoQRTokens[m[1]]
			} else {
				return fail(derr(400, "4060", "Invalid personal QR"))
			}
		default:
			return fail(derr(400, "4050", "Invalid customer token"))
		}
	}
	if req.UserFlow == "PUSH_MESSAGE" && msisdn == "" {
		return fail(derr(400, "4140", "Missing required parameter: customer"))
	}
	now := s.now()
	expires := now.Add(s.cfg.PaymentExpiry)
	if req.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *req.ExpiresAt)
		if err != nil {
			return problemReply(validationProblem(r, []extraDetail{{Name: "expiresAt", Reason: "The field ExpiresAt must be an RFC 3339 date-time."}}))
		}
		switch {
		case req.UserFlow != "PUSH_MESSAGE" && req.UserFlow != "QR":
			return fail(derr(400, "5050", "Long-living payments are not allowed for this user flow"))
		case req.Receipt == nil:
			return fail(derr(400, "6130", "Long-living payments require a receipt"))
		case !t.After(now.Add(10 * time.Minute)):
			return fail(derr(400, "6120", "expiresAt is too soon"))
		case t.After(now.Add(60 * 24 * time.Hour)):
			return fail(derr(400, "6110", "expiresAt is too late"))
		}
		expires = t
	}
	var user User
	if msisdn != "" {
		u, ok := s.lookupUser(msisdn)
		if !ok {
			return fail(derr(400, "7010", "Customer not found"))
		}
		if req.MinimumUserAge != nil && age(u.Birthdate, now) < *req.MinimumUserAge {
			return fail(derr(400, "7010", "Customer not found"))
		}
		user = u
	}
	if old, ok := s.payments[req.Reference]; ok {
		if old.state == StateAuthorized {
			return fail(derr(409, "6230", "Payment is already reserved"))
		}
		return fail(derr(409, "4150", "A payment with this reference already exists"))
	}
	p := &payment{
		reference: req.Reference, pspReference: randomUUID(), amount: *req.Amount, method: req.PaymentMethod.Type,
		userFlow: req.UserFlow, msisdn: msisdn, metadata: req.Metadata, state: StateCreated,
		created: now, expiresAt: expires, token: randomToken(), hasReceipt: req.Receipt != nil,
	}
	if req.PaymentDescription != nil {
		p.description = *req.PaymentDescription
	}
	if req.Profile != nil {
		p.profileScope = req.Profile.Scope
	}
	if req.UserFlow != "PUSH_MESSAGE" {
		p.redirectURL = externalBase(r) + "/sim/landing?token=" + p.token
	}
	s.payments[p.reference] = p
	s.open[p.reference] = p
	if p.hasReceipt {
		rc := *req.Receipt
		s.receipts[p.reference] = &storedReceipt{receipt: rc}
	}
	key := r.Header.Get("Idempotency-Key")
	s.addEventLocked(p, StateCreated, p.amount.Value, &key, p.pspReference)
	if msisdn != "" {
		push := &Push{Kind: PushPayment, MSISDN: msisdn, Reference: p.reference, Amount: p.amount.Value,
			Currency: p.amount.Currency, Description: p.description, Merchant: s.cfg.MerchantName, Expires: expires,
			CustomerName: user.Name()}
		s.addPushLocked(push)
		p.pushID = push.ID
	}
	s.cfg.Logger.Info("payment created", "reference", p.reference, "amount", p.amount.Value, "customer", phone.Mask(msisdn))
	return jsonReply(http.StatusCreated, createPaymentResponse{Reference: p.reference, RedirectURL: p.redirectURL})
}

// profileScopes are the userinfo claims a payment may ask the customer to
// share (profile.scope).
var profileScopes = []string{"name", "address", "email", "phoneNumber", "birthDate", "nin"}

func validProfileScope(scope string) bool {
	fields := strings.Fields(scope)
	if len(fields) == 0 {
		return false
	}
	for _, f := range fields {
		if !slices.Contains(profileScopes, f) {
			return false
		}
	}
	return true
}

// validateQRFormat checks qrFormat: a known format, and a size of 100–2000
// pixels when one is given.
func validateQRFormat(raw json.RawMessage) []extraDetail {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var f struct {
		Format *string `json:"format"`
		Size   *int    `json:"size"`
	}
	if err := unmarshalStrict(raw, &f); err != nil {
		return []extraDetail{{Name: "qrFormat", Reason: err.Error()}}
	}
	var bad []extraDetail
	switch {
	case f.Format == nil:
		bad = append(bad, extraDetail{Name: "qrFormat.format", Reason: "The Format field is required."})
	case *f.Format != "TEXT/TARGETURL" && *f.Format != "IMAGE/SVG+XML" && *f.Format != "IMAGE/PNG":
		bad = append(bad, extraDetail{Name: "qrFormat.format", Reason: "The field Format must be one of TEXT/TARGETURL, IMAGE/SVG+XML, IMAGE/PNG."})
	}
	if f.Size != nil && (*f.Size < 100 || *f.Size > 2000) {
		bad = append(bad, extraDetail{Name: "qrFormat.size", Reason: "The field Size must be between 100 and 2000."})
	}
	return bad
}

// validateIndustryData checks industryData.airlineData: when present, the
// agency invoice number, both airline codes and the passenger's name are
// required, each within its length.
func validateIndustryData(raw json.RawMessage) []extraDetail {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var d struct {
		AirlineData *struct {
			AgencyInvoiceNumber   *string `json:"agencyInvoiceNumber"`
			AirlineCode           *string `json:"airlineCode"`
			AirlineDesignatorCode *string `json:"airlineDesignatorCode"`
			PassengerName         *string `json:"passengerName"`
			TicketNumber          *string `json:"ticketNumber"`
		} `json:"airlineData"`
	}
	if err := unmarshalStrict(raw, &d); err != nil {
		return []extraDetail{{Name: "industryData", Reason: err.Error()}}
	}
	a := d.AirlineData
	if a == nil {
		return nil
	}
	var bad []extraDetail
	for _, f := range []struct {
		name     string
		v        *string
		min, max int
		required bool
	}{
		{"agencyInvoiceNumber", a.AgencyInvoiceNumber, 1, 6, true},
		{"airlineCode", a.AirlineCode, 3, 3, true},
		{"airlineDesignatorCode", a.AirlineDesignatorCode, 2, 2, true},
		{"passengerName", a.PassengerName, 1, 49, true},
		{"ticketNumber", a.TicketNumber, 1, 150, false},
	} {
		name := "industryData.airlineData." + f.name
		switch {
		case f.v == nil && f.required:
			bad = append(bad, extraDetail{Name: name, Reason: "The " + f.name + " field is required."})
		case f.v != nil && (len([]rune(*f.v)) < f.min || len([]rune(*f.v)) > f.max):
			bad = append(bad, extraDetail{Name: name, Reason: fmt.Sprintf("The field %s must be %d–%d characters.", f.name, f.min, f.max)})
		}
	}
	return bad
}

func age(birthdate string, now time.Time) int {
	b, err := time.Parse("2006-01-02", birthdate)
	if err != nil {
		return 0
	}
	a := now.Year() - b.Year()
	if now.YearDay() < b.YearDay() {
		a--
	}
	return a
}

// addEventLocked records an event and queues its webhook.
func (s *Sim) addEventLocked(p *payment, name string, value int64, idemKey *string, psp string) {
	if psp == "" {
		psp = randomUUID()
	}
	if idemKey != nil && *idemKey == "" {
		idemKey = nil
	}
	ev := paymentEvent{Reference: p.reference, PSPReference: psp, Name: name, Amount: money{p.amount.Currency, value},
		Timestamp: s.now().Format("2006-01-02T15:04:05.000Z07:00"), IdempotencyKey: idemKey, Success: true}
	p.events = append(p.events, ev)
	s.enqueueLocked("epayments.payment."+strings.ToLower(name)+".v1", webhookPayment{
		MSN: s.cfg.MSN, Reference: ev.Reference, PSPReference: ev.PSPReference, Name: ev.Name, Amount: ev.Amount,
		Timestamp: ev.Timestamp, IdempotencyKey: ev.IdempotencyKey, Success: true,
	})
}

// settlePaymentLocked applies what time has made due for p.
func (s *Sim) settlePaymentLocked(p *payment, now time.Time) bool {
	if p.state != StateCreated {
		return false
	}
	if !p.authorizing.IsZero() {
		if now.Before(p.authorizing) {
			return false
		}
		s.authorizeLocked(p)
		return true
	}
	if !now.Before(p.expiresAt) {
		p.state = StateExpired
		s.addEventLocked(p, StateExpired, p.amount.Value, nil, "")
		s.closePushLocked(p.pushID, PushExpired)
		return true
	}
	return false
}

func (s *Sim) authorizeLocked(p *payment) {
	p.state = StateAuthorized
	p.authorizing = time.Time{}
	p.guaranteed = s.now().Add(s.cfg.CaptureGuarantee)
	p.authorized = p.amount.Value
	s.addEventLocked(p, StateAuthorized, p.amount.Value, nil, "")
	s.cfg.Logger.Info("payment authorized", "reference", p.reference)
}

// approvePaymentLocked is the customer pressing "Pay" (or force-approve
// with immediate set).
func (s *Sim) approvePaymentLocked(p *payment, immediate bool) error {
	if p.state != StateCreated || !p.authorizing.IsZero() {
		return errors.New("payment is not waiting for the customer")
	}
	if immediate || s.cfg.AuthorizingWindow <= 0 {
		s.authorizeLocked(p)
		return nil
	}
	p.authorizing = s.now().Add(s.cfg.AuthorizingWindow)
	return nil
}

func (s *Sim) declinePaymentLocked(p *payment) error {
	if p.state != StateCreated || !p.authorizing.IsZero() {
		return errors.New("payment is not waiting for the customer")
	}
	p.state = StateAborted
	s.addEventLocked(p, StateAborted, p.amount.Value, nil, "")
	return nil
}

func (s *Sim) getPaymentReply(r *http.Request, ref string) (*payment, *reply) {
	p, ok := s.payments[ref]
	if !ok {
		rp := problemReply(derr(404, "5090", "Reference not found").problem(r))
		return nil, &rp
	}
	return p, nil
}

func (s *Sim) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, epaymentAuth) {
		return
	}
	ref := r.PathValue("reference")
	if !s.rateLimit(w, r, "get", ref, s.limitFor(false)) {
		return
	}
	s.mu.Lock()
	p, rp := s.getPaymentReply(r, ref)
	if rp == nil {
		resp := getPaymentResponse{Aggregate: p.aggregate(), Amount: p.amount, State: p.state,
			PaymentMethod: map[string]string{"type": p.method}, Profile: map[string]string{},
			PSPReference: p.pspReference, Reference: p.reference, RedirectURL: p.redirectURL, Metadata: p.metadata}
		if p.profileScope != "" && p.state == StateAuthorized {
			resp.Profile["sub"] = s.subject(p.msisdn)
		}
		if !p.guaranteed.IsZero() {
			resp.CaptureGuaranteedUntil = p.guaranteed.UTC().Format(time.RFC3339)
		}
		x := jsonReply(http.StatusOK, resp)
		rp = &x
	}
	s.mu.Unlock()
	rp.write(w)
}

func (s *Sim) handleEvents(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, epaymentAuth) {
		return
	}
	ref := r.PathValue("reference")
	if !s.rateLimit(w, r, "events", ref, s.limitFor(false)) {
		return
	}
	s.mu.Lock()
	p, rp := s.getPaymentReply(r, ref)
	if rp == nil {
		x := jsonReply(http.StatusOK, append([]paymentEvent{}, p.events...))
		rp = &x
	}
	s.mu.Unlock()
	rp.write(w)
}

func (s *Sim) modification(w http.ResponseWriter, r *http.Request, op string, spec idemSpec, do func(*payment, []byte) reply) {
	if !s.authorize(w, r, epaymentAuth) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	ref := r.PathValue("reference")
	if !s.rateLimit(w, r, op, ref, s.limitFor(true)) {
		return
	}
	spec.op, spec.scope = op, ref
	s.idempotent(w, r, spec, body, func() reply {
		p, rp := s.getPaymentReply(r, ref)
		if rp != nil {
			return *rp
		}
		return do(p, body)
	})
}

func (s *Sim) modReply(p *payment, psp string) reply {
	return jsonReply(http.StatusOK, modificationResponse{Amount: p.amount, State: p.state, Aggregate: p.aggregate(),
		PSPReference: psp, Reference: p.reference})
}

// parseModification reads {modificationAmount}; it returns a reply on error.
func parseModification(r *http.Request, body []byte, p *payment) (int64, *reply) {
	var req modificationRequest
	if err := unmarshalStrict(body, &req); err != nil || req.ModificationAmount == nil {
		rp := problemReply(validationProblem(r, []extraDetail{{Name: "modificationAmount", Reason: "The ModificationAmount field is required."}}))
		return 0, &rp
	}
	if req.ModificationAmount.Currency != p.amount.Currency {
		rp := problemReply(derr(400, "5040", "Invalid currency").problem(r))
		return 0, &rp
	}
	if req.ModificationAmount.Value <= 0 {
		rp := problemReply(derr(400, "4040", "Invalid amount").problem(r))
		return 0, &rp
	}
	return req.ModificationAmount.Value, nil
}

func (s *Sim) handleCapture(w http.ResponseWriter, r *http.Request) {
	s.modification(w, r, "capture", idemSpec{required: true, conflictCode: "4010"}, func(p *payment, body []byte) reply {
		v, rp := parseModification(r, body, p)
		if rp != nil {
			return *rp
		}
		fail := func(status int, code, title string) reply { return problemReply(derr(status, code, title).problem(r)) }
		switch {
		case p.state == StateCreated && !p.authorizing.IsZero():
			return fail(409, "6160", "Order processing")
		case p.state == StateCreated:
			return fail(400, "6080", "Cannot capture before reservation")
		case p.state != StateAuthorized:
			return fail(400, "6200", "Payment cannot be captured")
		case p.captured >= p.authorized:
			return fail(400, "6170", "Payment already captured")
		case p.cancelled > 0 && p.captured+p.cancelled >= p.authorized:
			return fail(400, "6070", "Cannot capture a cancelled payment")
		case v > p.authorized-p.cancelled-p.captured:
			return fail(400, "6090", "Capture amount too high")
		}
		p.captured += v
		p.captures++
		psp := randomUUID()
		key := r.Header.Get("Idempotency-Key")
		s.addEventLocked(p, "CAPTURED", v, &key, psp)
		s.cfg.Logger.Info("payment captured", "reference", p.reference, "amount", v)
		return s.modReply(p, psp)
	})
}

func (s *Sim) handleRefund(w http.ResponseWriter, r *http.Request) {
	s.modification(w, r, "refund", idemSpec{required: true, conflictCode: "4150"}, func(p *payment, body []byte) reply {
		v, rp := parseModification(r, body, p)
		if rp != nil {
			return *rp
		}
		fail := func(code, title string) reply { return problemReply(derr(400, code, title).problem(r)) }
		switch {
		case p.state == StateCreated:
			return fail("6020", "Attempted refund before reservation")
		case p.state != StateAuthorized:
			return fail("6210", "Payment cannot be refunded")
		case p.captured > 0 && p.refunded >= p.captured:
			return fail("6180", "Payment already refunded")
		case v > p.captured-p.refunded:
			return fail("6150", "Not enough refundable")
		}
		p.refunded += v
		p.refunds++
		psp := randomUUID()
		key := r.Header.Get("Idempotency-Key")
		s.addEventLocked(p, "REFUNDED", v, &key, psp)
		s.cfg.Logger.Info("payment refunded", "reference", p.reference, "amount", v)
		return s.modReply(p, psp)
	})
}

func (s *Sim) handleCancel(w http.ResponseWriter, r *http.Request) {
	s.modification(w, r, "cancel", idemSpec{conflictCode: "4020"}, func(p *payment, body []byte) reply {
		var req cancelRequest
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := unmarshalStrict(body, &req); err != nil {
				return problemReply(validationProblem(r, []extraDetail{{Name: "cancelTransactionOnly", Reason: err.Error()}}))
			}
		}
		fail := func(code, title string) reply { return problemReply(derr(400, code, title).problem(r)) }
		psp := randomUUID()
		key := r.Header.Get("Idempotency-Key")
		switch {
		case p.state == StateCreated && !p.authorizing.IsZero():
			return fail("6250", "Cannot cancel processing payment")
		case p.state == StateCreated:
			p.state = StateTerminated
			p.cancelled = p.amount.Value
			s.addEventLocked(p, StateTerminated, p.amount.Value, &key, psp)
			s.closePushLocked(p.pushID, PushWithdrawn)
			return s.modReply(p, psp)
		case p.state != StateAuthorized:
			return fail("6050", "Cannot cancel a non-reserved payment")
		case req.CancelTransactionOnly:
			return fail("6060", "Cannot cancel authorized payment")
		case p.captured >= p.authorized:
			return fail("6040", "Cannot cancel a captured payment")
		case p.captured+p.cancelled >= p.authorized:
			return fail("6190", "Payment cannot be cancelled")
		}
		v := p.authorized - p.captured - p.cancelled
		p.cancelled += v
		s.addEventLocked(p, "CANCELLED", v, &key, psp)
		return s.modReply(p, psp)
	})
}

// forceApproveRequest is the MT-only test endpoint's body.
type forceApproveRequest struct {
	Customer *customer `json:"customer"`
	Token    *string   `json:"token"`
}

func (s *Sim) handleForceApprove(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, epaymentAuth) {
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	var req forceApproveRequest
	if err := unmarshalStrict(body, &req); err != nil || (req.Customer == nil && req.Token == nil) {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "body", Reason: "Either customer or token is required."}}))
		return
	}
	s.mu.Lock()
	p, rp := s.getPaymentReply(r, r.PathValue("reference"))
	var out reply
	switch {
	case rp != nil:
		out = *rp
	case req.Token != nil && *req.Token != p.token:
		out = problemReply(derr(400, "10010", "Approve failed: token does not match").problem(r))
	case req.Customer != nil && req.Customer.PhoneNumber != nil && p.msisdn != "" && *req.Customer.PhoneNumber != p.msisdn:
		out = problemReply(derr(400, "10010", "Approve failed: customer does not match").problem(r))
	case s.approvePaymentLocked(p, true) != nil:
		out = problemReply(derr(400, "10020", "Approve not allowed").problem(r))
	default:
		if req.Customer != nil && req.Customer.PhoneNumber != nil {
			p.msisdn = *req.Customer.PhoneNumber
		}
		s.closePushLocked(p.pushID, PushApproved)
		out = reply{status: http.StatusOK}
	}
	s.mu.Unlock()
	s.notify()
	out.write(w)
}

// reply is a response computed under the lock, written after.
type reply struct {
	status int
	ctype  string
	body   []byte
	header http.Header
}

func (rp reply) write(w http.ResponseWriter) {
	for k, v := range rp.header {
		w.Header()[k] = v
	}
	if rp.ctype != "" {
		w.Header().Set("Content-Type", rp.ctype)
	}
	w.WriteHeader(rp.status)
	_, _ = w.Write(rp.body)
}

func jsonReply(status int, v any) reply {
	b, _ := json.Marshal(v)
	return reply{status: status, ctype: "application/json; charset=utf-8", body: b}
}

func problemReply(p *problem) reply {
	b, _ := json.Marshal(p)
	return reply{status: p.Status, ctype: "application/problem+json", body: b}
}

const maxBody = 1 << 20

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "body", Reason: "The request body could not be read."}}))
		return nil, false
	}
	return b, true
}

func unmarshalStrict(b []byte, v any) error {
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func decodeStrict(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		return err
	}
	return unmarshalStrict(b, v)
}

// decodeLenient ignores unknown fields (Check-in: a retired loyaltyProgramName is still sent by some).
func decodeLenient(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(v)
}

// externalBase is the simulator's base URL as the client sees it.
func externalBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "http" || p == "https" {
		scheme = p
	}
	host := r.Host
	if h := r.Header.Get("X-Forwarded-Host"); h != "" {
		host = h
	}
	return scheme + "://" + host + strings.TrimSuffix(r.Header.Get("X-Forwarded-Prefix"), "/")
}
