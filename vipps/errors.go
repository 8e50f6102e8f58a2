package vipps

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Kind tells a caller what to do about a failed call. The order matches
// flow.ErrorKind, so an adapter may convert with a plain cast, but it should
// switch explicitly to stay honest if either list changes.
type Kind int

const (
	KindUnknown  Kind = iota
	Transient         // network trouble, 5xx, "try again later": retry with the same idempotency key
	RateLimited       // 429: retry after RetryAfter
	Conflict          // already done, idempotency conflict, receipt exists: re-read the truth
	Invalid           // our request was wrong (validation, 400 without error code): do not retry
	Permanent         // Vipps refuses for good (state, limits, configuration): do not retry
	Unauthorized      // credentials wrong, expired or lacking a product (401, 403)
	NotFound          // unknown reference (404, code 5090)
	// RetryLater: Vipps refused the request for now (6160 order processing,
	// 6280 capture failed, try again later, 3010 internal). Vipps answers a
	// key it refused the same way every time: re-read the payment, then
	// send the operation again with a new Idempotency-Key.
	RetryLater
)

func (k Kind) String() string {
	switch k {
	case Transient:
		return "transient"
	case RateLimited:
		return "rate-limited"
	case Conflict:
		return "conflict"
	case Invalid:
		return "invalid"
	case Permanent:
		return "permanent"
	case Unauthorized:
		return "unauthorized"
	case RetryLater:
		return "retry-later"
	case NotFound:
		return "not-found"
	}
	return "unknown"
}

// FieldError is one entry of extraDetails / invalidParams that names a field.
type FieldError struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Error is a failed call to Vipps: an error answer (RFC 7807 problem
// details, the Check-in/Order Management shape, the QR shape or an OAuth
// error) or no answer at all (Status 0, Err set).
type Error struct {
	Kind       Kind
	Op         string // what we were doing, e.g. "epayment.capture"
	Status     int    // HTTP status, 0 when no answer came
	Code       string // Vipps error code ("6090") or OAuth error ("access_denied")
	Title      string
	Detail     string
	TraceID    string
	Fields     []FieldError
	RetryAfter time.Duration // from Retry-After, when given
	Err        error         // the transport or context error, if any
}

// msisdnLike finds digit runs that could be phone numbers, so error texts
// echoed by Vipps never put a full number into our logs.
var msisdnLike = regexp.MustCompile(`\d{8,15}`)

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "vipps %s: %s", e.Op, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Code != "" {
			fmt.Fprintf(&b, ", code %s", e.Code)
		}
		b.WriteString(")")
	}
	if msg := e.Message(); msg != "" {
		b.WriteString(": ")
		b.WriteString(msg)
	}
	return b.String()
}

// Message is the human part of the error with phone-number-like digit runs
// masked; safe for logs and the manager's screen.
func (e *Error) Message() string {
	var parts []string
	for _, s := range []string{e.Title, e.Detail} {
		if s != "" && !slicesContains(parts, s) {
			parts = append(parts, s)
		}
	}
	for _, f := range e.Fields {
		parts = append(parts, f.Name+": "+f.Reason)
	}
	if e.Err != nil {
		parts = append(parts, e.Err.Error())
	}
	return msisdnLike.ReplaceAllStringFunc(strings.Join(parts, "; "), MaskMSISDN)
}

func slicesContains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err: an *Error's own kind; a context deadline
// or a network error counts as Transient; anything else KindUnknown.
func KindOf(err error) Kind {
	var ve *Error
	switch {
	case err == nil:
		return KindUnknown
	case errors.As(err, &ve):
		return ve.Kind
	case errors.Is(err, context.DeadlineExceeded):
		return Transient
	}
	return KindUnknown
}

// errorBody is the union of every error shape in API.md §2.3.
type errorBody struct {
	Type          string          `json:"type"`
	Title         string          `json:"title"`
	Detail        string          `json:"detail"`
	Status        json.RawMessage `json:"status"`
	TraceID       string          `json:"traceId"`
	ExtraDetails  []FieldError    `json:"extraDetails"`
	InvalidParams []FieldError    `json:"invalidParams"`
	// OAuth / Login
	OAuthError       string          `json:"error"`
	ErrorDescription string          `json:"error_description"`
	ErrorCode        json.RawMessage `json:"error_code"`
	ErrorDebug       string          `json:"error_debug"`
}

// parseError turns an error answer into an *Error. Bodies that are not
// JSON (gateways' HTML pages) still give a kind from the status.
func parseError(op string, status int, header http.Header, body []byte, now time.Time) *Error {
	e := &Error{Op: op, Status: status, RetryAfter: retryAfter(header.Get("Retry-After"), now)}
	var b errorBody
	if json.Unmarshal(body, &b) == nil {
		e.Title, e.Detail, e.TraceID = b.Title, b.Detail, b.TraceID
		for _, f := range append(b.ExtraDetails, b.InvalidParams...) {
			if strings.EqualFold(f.Name, "ErrorCode") {
				e.Code = f.Reason
				continue
			}
			e.Fields = append(e.Fields, f)
		}
		if b.OAuthError != "" {
			e.Code = b.OAuthError
			// CIBA refines invalid_request with a string error_code
			// (invalid_user, old_app); the Login spec's error_code is the
			// HTTP status as a number, which says nothing new.
			var sub string
			if json.Unmarshal(b.ErrorCode, &sub) == nil && sub != "" {
				e.Code = sub
			}
			if e.Detail == "" {
				e.Detail = b.ErrorDescription
			}
			if e.Detail == "" {
				e.Detail = b.ErrorDebug
			}
		}
	}
	if e.TraceID == "" {
		// Some gateways only put the W3C trace context in a header.
		e.TraceID = header.Get("traceparent")
	}
	e.Kind = classify(status, e.Code)
	return e
}

// classify maps an HTTP status and Vipps error code to a Kind. Codes win
// over statuses where the docs give them a specific meaning (API.md §6.6).
func classify(status int, code string) Kind {
	switch code {
	case "4010", "4020", "4150", "6170", "6180", "6230":
		return Conflict // idempotency conflict / already done: re-read the payment
	case "5090":
		return NotFound
	case "6160", "6280", "3010":
		// order processing / capture failed, try again later / internal: as a
		// 4xx refusal the key is spent; as a 5xx it is server trouble.
		if status >= 400 && status < 500 {
			return RetryLater
		}
		return Transient
	case "invalid_client", "unauthorized_client":
		return Unauthorized
	case "invalid_request", "invalid_scope", "invalid_binding_message":
		return Invalid
	case "access_denied", "expired_token", "invalid_grant", "invalid_user", "old_app":
		return Permanent
	}
	switch {
	case status == http.StatusTooManyRequests:
		return RateLimited
	case status == http.StatusUnauthorized, status == http.StatusForbidden:
		return Unauthorized
	case status == http.StatusNotFound:
		return NotFound
	case status == http.StatusConflict:
		return Conflict
	case status == http.StatusLocked, status == http.StatusRequestTimeout, status >= 500:
		return Transient
	case status == http.StatusBadRequest:
		if code == "" {
			return Invalid // field validation: no ErrorCode (API.md §2.3)
		}
		if len(code) == 4 && code[0] == '4' {
			return Invalid // 4xxx: malformed input (amount, phone, QR, URL, metadata)
		}
		return Permanent // 5xxx configuration, 6xxx state, 7010 customer
	case status == http.StatusUnprocessableEntity:
		return Permanent // 5070 payment cannot be created
	case status >= 400:
		return Invalid
	}
	return KindUnknown
}

// retryAfter reads Retry-After as seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
