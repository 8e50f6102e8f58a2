package vipps

import (
	"context"
	"errors"
	"net"
	"strings"
)

// Connection is what a connection check found, in the words a store
// manager can act on.
type Connection int

const (
	ConnectionOK          Connection = iota
	ConnectionWrongKeys              // client id, client secret or subscription key refused
	ConnectionUnknownMSN             // the keys work, but not for this Merchant Serial Number
	ConnectionUnreachable            // no answer: network, DNS, proxy, Vipps down
	ConnectionFailed                 // another refusal; the error says which
)

func (c Connection) String() string {
	switch c {
	case ConnectionOK:
		return "ok"
	case ConnectionWrongKeys:
		return "wrong_keys"
	case ConnectionUnknownMSN:
		return "unknown_msn"
	case ConnectionUnreachable:
		return "unreachable"
	}
	return "failed"
}

// CheckConnection fetches an access token and makes one harmless call
// that needs the Merchant Serial Number (the sales unit's webhook list), so
// a manager learns at once whether the keys entered work. It changes
// nothing at Vipps. The error, when there is one, is for the log.
func (c *Client) CheckConnection(ctx context.Context) (Connection, error) {
	if _, err := c.accessToken(ctx); err != nil {
		return connectionOf(err, true), err
	}
	if _, err := c.Webhooks(ctx); err != nil {
		return connectionOf(err, false), err
	}
	return ConnectionOK, nil
}

// connectionOf sorts a failed call; token tells whether it was the access
// token's (a refusal there is the keys, unless Vipps names the MSN).
func connectionOf(err error, token bool) Connection {
	var ve *Error
	var ne net.Error
	switch {
	case errors.As(err, &ve) && (ve.Kind == Unauthorized || ve.Status == 401 || ve.Status == 403):
		if !token || strings.Contains(ve.Message(), "Merchant-Serial-Number") {
			return ConnectionUnknownMSN
		}
		return ConnectionWrongKeys
	case errors.As(err, &ve) && ve.Kind == Transient, errors.As(err, &ne),
		errors.Is(err, context.DeadlineExceeded):
		return ConnectionUnreachable
	case errors.As(err, &ve) && ve.Status == 0:
		return ConnectionUnreachable
	}
	return ConnectionFailed
}
