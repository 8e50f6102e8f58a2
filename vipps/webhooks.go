package vipps

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// ePayment webhook event types.
const (
	EventPaymentCreated    = "epayments.payment.created.v1"
	EventPaymentAborted    = "epayments.payment.aborted.v1"
	EventPaymentExpired    = "epayments.payment.expired.v1"
	EventPaymentCancelled  = "epayments.payment.cancelled.v1"
	EventPaymentCaptured   = "epayments.payment.captured.v1"
	EventPaymentRefunded   = "epayments.payment.refunded.v1"
	EventPaymentAuthorized = "epayments.payment.authorized.v1"
	EventPaymentTerminated = "epayments.payment.terminated.v1"
)

// Registration is a registered webhook. Secret is only known right after
// RegisterWebhook: Vipps returns it once and never again.
type Registration struct {
	ID     string   `json:"id"`
	URL    string   `json:"url,omitempty"`
	Events []string `json:"events,omitempty"`
	Secret string   `json:"secret,omitempty"`
}

// RegisterWebhook asks Vipps to deliver events to callbackURL (HTTPS,
// publicly reachable, no redirects). Keep the returned Secret: it is the
// only way to verify deliveries. Not retried: a repeat would register twice.
func (c *Client) RegisterWebhook(ctx context.Context, callbackURL string, events []string) (Registration, error) {
	const op = "webhooks.register"
	if u, err := url.Parse(callbackURL); err != nil || u.Scheme == "" || u.Host == "" {
		return Registration{}, invalid(op, "callback URL must be absolute")
	}
	if len(events) == 0 {
		return Registration{}, invalid(op, "at least one event type")
	}
	resp, err := c.do(ctx, request{op: op, method: "POST", path: "/webhooks/v1/webhooks",
		json: map[string]any{"url": callbackURL, "events": events}})
	if err != nil {
		return Registration{}, err
	}
	var reg Registration
	if err := decode(op, resp, &reg); err != nil {
		return Registration{}, err
	}
	reg.URL, reg.Events = callbackURL, events
	c.log.Info("vipps webhook registered", "id", reg.ID, "events", len(events))
	return reg, nil
}

// Webhooks lists this sales unit's registrations (without secrets).
func (c *Client) Webhooks(ctx context.Context) ([]Registration, error) {
	const op = "webhooks.list"
	resp, err := c.do(ctx, request{op: op, method: "GET", path: "/webhooks/v1/webhooks", retry: true})
	if err != nil {
		return nil, err
	}
	var out struct {
		Webhooks []Registration `json:"webhooks"`
	}
	if err := decode(op, resp, &out); err != nil {
		return nil, err
	}
	return out.Webhooks, nil
}

// DeleteWebhook removes a registration.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	const op = "webhooks.delete"
	if id == "" {
		return invalid(op, "empty id")
	}
	_, err := c.do(ctx, request{op: op, method: "DELETE", path: "/webhooks/v1/webhooks/" + url.PathEscape(id), retry: true})
	return err
}

// WebhookStats counts what a receiver made of its deliveries: accepted,
// or refused for which failure of VerifyWebhook (Forged: signature,
// Tampered: content hash, Stale: date), a replay, or a body that is no event.
type WebhookStats struct {
	Accepted, Forged, Tampered, Stale, Replayed, Malformed int64
}

// Webhook verification failures.
var (
	ErrWebhookSignature   = errors.New("vipps webhook: signature does not match")
	ErrWebhookContentHash = errors.New("vipps webhook: body does not match x-ms-content-sha256")
	ErrWebhookStale       = errors.New("vipps webhook: x-ms-date missing or outside the allowed skew")
)

// webhookStringToSign builds the string API.md §8.4 signs: method, path
// and query of the registered URL, then date;host;content hash, joined
// with "\n" only.
func webhookStringToSign(registeredURL, date, contentHash string) (string, error) {
	u, err := url.Parse(registeredURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("vipps webhook: registered URL %q is not absolute", registeredURL)
	}
	pathAndQuery := u.EscapedPath()
	if pathAndQuery == "" {
		pathAndQuery = "/"
	}
	if u.RawQuery != "" {
		pathAndQuery += "?" + u.RawQuery
	}
	// u.Host keeps a non-default port, like .NET's Uri.Authority; drop an
	// explicit default one, as Uri.Authority does.
	host := u.Host
	if p := u.Port(); (p == "443" && u.Scheme == "https") || (p == "80" && u.Scheme == "http") {
		host = u.Hostname()
	}
	return "POST\n" + pathAndQuery + "\n" + date + ";" + host + ";" + contentHash, nil
}

func contentHash(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.StdEncoding.EncodeToString(sum[:])
}

func webhookSignature(secret, stringToSign string) string {
	// The secret is used as its UTF-8 bytes, never base64-decoded.
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stringToSign))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignWebhook returns the headers Vipps sends with a delivery of body to
// registeredURL at date: x-ms-date, x-ms-content-sha256 and Authorization.
// The simulator uses it; tests use it to produce deliveries.
func SignWebhook(registeredURL, secret string, body []byte, date time.Time) (http.Header, error) {
	d := date.UTC().Format(http.TimeFormat)
	ch := contentHash(body)
	sts, err := webhookStringToSign(registeredURL, d, ch)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("x-ms-date", d)
	h.Set("x-ms-content-sha256", ch)
	h.Set("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature="+webhookSignature(secret, sts))
	return h, nil
}

// VerifyWebhook checks a delivery exactly as API.md §8.4 says: body
// against x-ms-content-sha256, the HMAC over the registered URL's path and
// host (not the Host header, which proxies rewrite), and x-ms-date within
// maxSkew of now. body must be the raw bytes as received.
func VerifyWebhook(registeredURL, secret string, body []byte, header http.Header, now time.Time, maxSkew time.Duration) error {
	date := header.Get("x-ms-date")
	t, err := http.ParseTime(date)
	if err != nil {
		return ErrWebhookStale
	}
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return ErrWebhookStale
	}
	got := header.Get("x-ms-content-sha256")
	if subtle.ConstantTimeCompare([]byte(got), []byte(contentHash(body))) != 1 {
		return ErrWebhookContentHash
	}
	sts, err := webhookStringToSign(registeredURL, date, got)
	if err != nil {
		return err
	}
	want := "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=" + webhookSignature(secret, sts)
	if subtle.ConstantTimeCompare([]byte(header.Get("Authorization")), []byte(want)) != 1 {
		return ErrWebhookSignature
	}
	return nil
}

// maxWebhookBody bounds what VerifyWebhookRequest reads; ePayment
// deliveries are well under a kilobyte.
const maxWebhookBody = 1 << 20

// VerifyWebhookRequest reads r's body (at most 1 MiB) and verifies it with
// VerifyWebhook, for use at the top of an http.Handler. It returns the raw
// body for parsing once verified.
func VerifyWebhookRequest(r *http.Request, registeredURL, secret string, now time.Time, maxSkew time.Duration) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
	if err != nil {
		return nil, fmt.Errorf("vipps webhook: reading body: %w", err)
	}
	if len(body) > maxWebhookBody {
		return nil, errors.New("vipps webhook: body too large")
	}
	if r.Method != http.MethodPost {
		return nil, fmt.Errorf("vipps webhook: method %s, want POST", r.Method)
	}
	return body, VerifyWebhook(registeredURL, secret, body, r.Header, now, maxSkew)
}

// ParsePaymentEvent reads an ePayment webhook body (after VerifyWebhook).
func ParsePaymentEvent(body []byte) (PaymentEvent, error) {
	var ev PaymentEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return PaymentEvent{}, fmt.Errorf("vipps webhook: %w", err)
	}
	if ev.Reference == "" || ev.Name == "" {
		return PaymentEvent{}, errors.New("vipps webhook: not an ePayment event")
	}
	return ev, nil
}
