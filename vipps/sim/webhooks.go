package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// webhookPayment is the body of every epayments.payment.*.v1 event.
type webhookPayment struct {
	MSN            string  `json:"msn"`
	Reference      string  `json:"reference"`
	PSPReference   string  `json:"pspReference"`
	Name           string  `json:"name"`
	Amount         money   `json:"amount"`
	Timestamp      string  `json:"timestamp"`
	IdempotencyKey *string `json:"idempotencyKey"`
	Success        bool    `json:"success"`
}

// KnownEvents are the event types a registration may ask for.
var KnownEvents = []string{
	"epayments.payment.created.v1", "epayments.payment.aborted.v1", "epayments.payment.expired.v1",
	"epayments.payment.cancelled.v1", "epayments.payment.captured.v1", "epayments.payment.refunded.v1",
	"epayments.payment.authorized.v1", "epayments.payment.terminated.v1",
	"login.merchant-initiated.ping.v1", "user.checked-in.v1",
	"recurring.agreement-activated.v1", "recurring.agreement-rejected.v1", "recurring.agreement-stopped.v1",
	"recurring.agreement-expired.v1", "recurring.charge-reserved.v1", "recurring.charge-captured.v1",
	"recurring.charge-canceled.v1", "recurring.charge-refunded.v1", "recurring.charge-failed.v1",
	"recurring.charge-creation-failed.v1",
}

// MaxRegistrationsPerEvent is the 2025 limit per event type and sales unit.
const MaxRegistrationsPerEvent = 25

type registration struct {
	id, url, secret string
	events          []string
	queue           []delivery // head is in flight while running
	running         bool
}

type delivery struct {
	event    string
	body     []byte
	attempts int
}

type registerRequest struct {
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type registerResponse struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type webhookInfo struct {
	ID     string   `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
}

type webhookList struct {
	Webhooks []webhookInfo `json:"webhooks"`
}

var webhookAuth = apiAuth{problemJSON: true}

func (s *Sim) handleRegisterWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, webhookAuth) {
		return
	}
	var req registerRequest
	if err := decodeStrict(r, &req); err != nil {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "body", Reason: err.Error()}}))
		return
	}
	u, err := url.Parse(req.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "url", Reason: "The url must be an absolute http(s) URL."}}))
		return
	}
	if u.Scheme == "http" && !s.cfg.HTTPWebhooks {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "url", Reason: "The url must use https."}}))
		return
	}
	if len(req.Events) == 0 {
		writeProblem(w, validationProblem(r, []extraDetail{{Name: "events", Reason: "At least one event is required."}}))
		return
	}
	for _, e := range req.Events {
		if !slices.Contains(KnownEvents, e) {
			writeProblem(w, validationProblem(r, []extraDetail{{Name: "events", Reason: "Unknown event type " + e + "."}}))
			return
		}
	}
	s.mu.Lock()
	for _, e := range req.Events {
		limit := MaxRegistrationsPerEvent
		if e == "user.checked-in.v1" {
			limit = 1
		}
		n := 0
		for _, h := range s.hooks {
			if slices.Contains(h.events, e) {
				n++
			}
		}
		if n >= limit {
			s.mu.Unlock()
			p := newProblem(r, http.StatusBadRequest, "Bad Request",
				fmt.Sprintf("The maximum number of registrations (%d) for %s is reached.", limit, e))
			p.ExtraDetails = []extraDetail{{Name: "events", Reason: "Too many registrations for " + e + "."}}
			writeProblem(w, p)
			return
		}
	}
	secret := s.cfg.WebhookSecret
	if secret == "" {
		secret = randomSecret()
	}
	h := &registration{id: randomUUID(), url: req.URL, secret: secret, events: slices.Compact(slices.Sorted(slices.Values(req.Events)))}
	s.hooks = append(s.hooks, h)
	s.mu.Unlock()
	s.cfg.Logger.Info("webhook registered", "id", h.id, "events", strings.Join(h.events, ","))
	writeJSON(w, http.StatusCreated, registerResponse{ID: h.id, Secret: secret})
}

func (s *Sim) handleListWebhooks(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, webhookAuth) {
		return
	}
	s.mu.Lock()
	out := webhookList{Webhooks: []webhookInfo{}}
	for _, h := range s.hooks {
		out.Webhooks = append(out.Webhooks, webhookInfo{ID: h.id, URL: h.url, Events: h.events})
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, out)
}

func (s *Sim) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, webhookAuth) {
		return
	}
	id := r.PathValue("id")
	s.mu.Lock()
	i := slices.IndexFunc(s.hooks, func(h *registration) bool { return h.id == id })
	if i >= 0 {
		s.hooks[i].queue = nil
		s.hooks = slices.Delete(s.hooks, i, i+1)
	}
	s.mu.Unlock()
	if i < 0 {
		writeProblem(w, newProblem(r, http.StatusNotFound, "Not Found", "No webhook registration with this id."))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// enqueueLocked queues an event for every registration that asked for it,
// applying the webhook faults (drop, duplicate, reorder).
func (s *Sim) enqueueLocked(event string, payload any) {
	body, err := json.Marshal(payload)
	if err != nil {
		return
	}
	for _, h := range s.hooks {
		if !slices.Contains(h.events, event) {
			continue
		}
		d := delivery{event: event, body: body}
		wf := s.faults.webhook()
		switch {
		case s.faults.chance(wf.Drop):
			s.cfg.Logger.Info("webhook dropped (fault)", "event", event)
			continue
		case s.faults.chance(wf.Duplicate):
			h.queue = append(h.queue, d, d)
		case len(h.queue) >= 2 && s.faults.chance(wf.Reorder):
			// never ahead of the head: it may be in flight
			h.queue = slices.Insert(h.queue, len(h.queue)-1, d)
		default:
			h.queue = append(h.queue, d)
		}
		if !h.running && s.ctx.Err() == nil {
			h.running = true
			s.wg.Add(1)
			go s.deliverLoop(h)
		}
	}
}

// deliverLoop sends a registration's queue in order: the next event waits
// until the one before it is acknowledged or given up.
func (s *Sim) deliverLoop(h *registration) {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(h.queue) == 0 || s.ctx.Err() != nil {
			h.running = false
			s.mu.Unlock()
			return
		}
		d := h.queue[0]
		s.mu.Unlock()

		err := s.send(h, d)
		s.mu.Lock()
		if len(h.queue) == 0 { // deleted meanwhile
			s.mu.Unlock()
			continue
		}
		var delay time.Duration
		if err == nil {
			h.queue = h.queue[1:]
		} else {
			h.queue[0].attempts++
			a := h.queue[0].attempts
			s.cfg.Logger.Info("webhook delivery failed", "event", d.event, "attempt", a, "err", err)
			if a >= s.cfg.WebhookMaxAttempts {
				h.queue = h.queue[1:]
			} else {
				delays := s.cfg.WebhookRetryDelays
				delay = delays[min(a-1, len(delays)-1)]
			}
		}
		s.mu.Unlock()
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-s.ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
	}
}

func (s *Sim) send(h *registration, d delivery) error {
	date := s.now().Format(http.TimeFormat)
	hash, auth, err := SignWebhook(h.secret, h.url, date, d.body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, h.url, bytes.NewReader(d.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-ms-date", date)
	req.Header.Set("x-ms-content-sha256", hash)
	req.Header.Set("Authorization", auth)
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close() // the receiver's answer is its status
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// SignWebhook signs a delivery exactly as Vipps MobilePay does (API.md
// §8.4): it returns the x-ms-content-sha256 and Authorization header values
// for a POST of body to registeredURL with x-ms-date = date. The secret is
// used as the UTF-8 bytes it is, never base64-decoded.
func SignWebhook(secret, registeredURL, date string, body []byte) (contentHash, authorization string, err error) {
	u, err := url.Parse(registeredURL)
	if err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(body)
	contentHash = base64.StdEncoding.EncodeToString(sum[:])
	toSign := "POST\n" + u.RequestURI() + "\n" + date + ";" + authority(u) + ";" + contentHash
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(toSign))
	sig := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return contentHash, "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + sig, nil
}

// authority is host[:port] with the scheme's default port left out, like
// .NET Uri.Authority and JavaScript URL.host.
func authority(u *url.URL) string {
	host, port := u.Hostname(), u.Port()
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "" || (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		return strings.ToLower(host)
	}
	return strings.ToLower(host) + ":" + port
}

func randomSecret() string {
	return randomUUID()
}

func randomToken() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
