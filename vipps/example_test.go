package vipps_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kasse-pos/kasse/vipps"
)

// How the till pays and captures, and how it branches on failures.
func Example() {
	c, err := vipps.New(vipps.Config{BaseURL: vipps.TestBaseURL, ClientID: "…", ClientSecret: "…",
		SubscriptionKey: "…", MSN: "123456", SystemName: "kasse", SystemVersion: "1.0"})
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	ref := "pos1-sale-000042" // keys below are derived from our own ids, the same on every retry
	_, err = c.CreatePayment(ctx, vipps.CreatePayment{Reference: ref, IdempotencyKey: ref + "-create",
		Amount: vipps.Amount{Currency: "NOK", Value: 49900}, MSISDN: "4791234567", Description: "Groceries"})
	switch vipps.KindOf(err) {
	case vipps.Transient, vipps.RateLimited:
		// try later with the same idempotency key
	case vipps.Conflict:
		// already created: read the payment instead
	}
	p, err := c.Capture(ctx, ref, vipps.Amount{Currency: "NOK", Value: 49900}, ref+"-capture-1")
	var ve *vipps.Error
	if errors.As(err, &ve) {
		fmt.Println(ve.Kind, ve.Status, ve.Code, ve.RetryAfter)
		return
	}
	fmt.Println(p.Aggregate.Captured.Value)
}

// Enrolling a customer by phone number.
func ExampleClient_LoginByPhone() {
	var c *vipps.Client // from vipps.New
	claims, err := c.LoginByPhone(context.Background(), "4791234567", "AB-123", []string{"name", "phoneNumber", "email"})
	switch {
	case errors.Is(err, vipps.ErrLoginDeclined), errors.Is(err, vipps.ErrLoginExpired), errors.Is(err, vipps.ErrLoginCancelled):
		// nothing to enrol
	case err == nil:
		fmt.Println(claims.Sub, claims.Name)
	}
}
