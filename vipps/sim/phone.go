package sim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/kasse-pos/kasse/internal/msisdn"
)

// PushKind is what the customer's phone is asked.
type PushKind string

const (
	PushPayment PushKind = "payment" // approve a payment of Amount
	PushLogin   PushKind = "login"   // share Scopes with the merchant; BindingMessage shown on both screens
	PushCheckIn PushKind = "checkin" // "you are a member of Club" screen; nothing to decide
)

// PushState is where a push stands.
type PushState string

const (
	PushPending   PushState = "pending"
	PushApproved  PushState = "approved"
	PushDeclined  PushState = "declined"
	PushExpired   PushState = "expired"
	PushWithdrawn PushState = "withdrawn" // the merchant cancelled it
	PushDismissed PushState = "dismissed" // check-in screen closed
)

// Push is one request on a customer's phone.
type Push struct {
	ID       string    `json:"id"`
	Kind     PushKind  `json:"kind"`
	MSISDN   string    `json:"msisdn"`
	State    PushState `json:"state"`
	Created  time.Time `json:"created"`
	Expires  time.Time `json:"expires,omitzero"`
	Merchant string    `json:"merchant"`

	CustomerName string `json:"customerName,omitempty"`
	Reference    string `json:"reference,omitempty"`
	Amount       int64  `json:"amount,omitempty"` // minor units
	Currency     string `json:"currency,omitempty"`
	Description  string `json:"description,omitempty"`

	BindingMessage string   `json:"bindingMessage,omitempty"`
	Scopes         []string `json:"scopes,omitempty"`
	RedirectURL    string   `json:"redirectUrl,omitempty"` // login to web page: where the phone's browser goes

	Club string `json:"club,omitempty"`

	autoAt  time.Time
	loginID string
}

// ErrNotPending is returned when answering a push that is already settled.
var ErrNotPending = errors.New("sim: the push is no longer pending")

func (s *Sim) addPush(p *Push) {
	s.mu.Lock()
	s.addPushLocked(p)
	s.mu.Unlock()
	s.notify()
}

func (s *Sim) addPushLocked(p *Push) {
	s.seq++
	p.ID = fmt.Sprintf("push-%d", s.seq)
	p.State = PushPending
	p.Created = s.now()
	if s.cfg.Auto != "none" || p.Kind == PushCheckIn {
		delay := s.cfg.AutoDelay
		if p.Kind == PushCheckIn && s.cfg.Auto == "none" {
			delay = 10 * time.Second // the check-in screen closes by itself
		}
		p.autoAt = p.Created.Add(delay)
	}
	s.pushes = append(s.pushes, p)
	s.cfg.Logger.Info("push to phone", "kind", p.Kind, "phone", msisdn.Mask(p.MSISDN), "id", p.ID)
}

func (s *Sim) closePushLocked(id string, st PushState) {
	for _, p := range s.pushes {
		if p.ID == id && p.State == PushPending {
			p.State = st
		}
	}
}

func (s *Sim) answerLocked(p *Push, approve bool) error {
	if p.State != PushPending {
		return ErrNotPending
	}
	switch p.Kind {
	case PushPayment:
		pay := s.payments[p.Reference]
		if pay == nil {
			return ErrNotPending
		}
		var err error
		if approve {
			err = s.approvePaymentLocked(pay, false)
		} else {
			err = s.declinePaymentLocked(pay)
		}
		if err != nil {
			return ErrNotPending
		}
	case PushLogin:
		l := s.logins[p.loginID]
		if l == nil || l.status != loginPending {
			return ErrNotPending
		}
		s.answerLoginLocked(l, approve, p)
	case PushCheckIn:
		p.State = PushDismissed
		return nil
	}
	p.State = PushDeclined
	if approve {
		p.State = PushApproved
	}
	return nil
}

// Pushes returns the pushes sent to msisdn (all phones if empty), oldest first.
func (s *Sim) Pushes(msisdn string) []Push {
	s.Tick()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Push
	for _, p := range s.pushes {
		if msisdn == "" || p.MSISDN == msisdn {
			cp := *p
			cp.Scopes = slices.Clone(p.Scopes)
			out = append(out, cp)
		}
	}
	return out
}

// Answer is the customer approving or declining a push (for a check-in
// screen either closes it).
func (s *Sim) Answer(id string, approve bool) error {
	s.Tick()
	s.mu.Lock()
	var err error = errNotFound
	for _, p := range s.pushes {
		if p.ID == id {
			err = s.answerLocked(p, approve)
			break
		}
	}
	s.mu.Unlock()
	if err == nil {
		s.notify()
	}
	return err
}

// SetAuto changes the automatic-answer policy for pushes sent from now on:
// "approve", "decline" or "none".
func (s *Sim) SetAuto(policy string, delay time.Duration) error {
	switch policy {
	case "approve", "decline", "none":
	default:
		return fmt.Errorf("sim: auto must be approve, decline or none")
	}
	s.mu.Lock()
	s.cfg.Auto, s.cfg.AutoDelay = policy, delay
	s.mu.Unlock()
	return nil
}

// OnChange registers f to be called after any push or payment changes
// (e.g. to refresh a "customer phone" window). f must not block for long.
func (s *Sim) OnChange(f func()) {
	s.mu.Lock()
	s.watchers = append(s.watchers, f)
	s.mu.Unlock()
}

func (s *Sim) notify() {
	s.mu.Lock()
	ws := slices.Clone(s.watchers)
	s.mu.Unlock()
	for _, f := range ws {
		f()
	}
}

func (s *Sim) handlePhonePushes(w http.ResponseWriter, r *http.Request) {
	ps := s.Pushes(r.PathValue("msisdn"))
	if ps == nil {
		ps = []Push{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"pushes": ps})
}

func (s *Sim) handleAnswer(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		err := s.Answer(id, approve)
		switch {
		case errors.Is(err, errNotFound):
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such push"})
		case err != nil:
			writeJSON(w, http.StatusConflict, map[string]string{"error": err.Error()})
		default:
			for _, p := range s.Pushes("") {
				if p.ID == id {
					writeJSON(w, http.StatusOK, p)
					return
				}
			}
		}
	}
}
