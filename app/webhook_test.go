package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
)

func TestWebhookListenerAcceptsOnlyGenuineDeliveries(t *testing.T) {
	const url = "https://till1.example.no/vipps/webhook"
	const secret = "090a478d-37ff-4e77-970e-d457aeb26a3a"
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	var got []flow.PaymentEvent
	l := newWebhookListener(url, secret, func(_ context.Context, ev flow.PaymentEvent) error {
		got = append(got, ev)
		return nil
	}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	l.now = func() time.Time { return now }

	body := []byte(`{"msn":"123456","reference":"pos1-000042","pspReference":"p-1","name":"AUTHORIZED","amount":{"currency":"NOK","value":4990},"timestamp":"2026-11-23T11:59:58Z","idempotencyKey":null,"success":true}`)
	deliver := func(body []byte, hdr http.Header) int {
		req := httptest.NewRequest("POST", "/vipps/webhook", bytes.NewReader(body))
		for k, v := range hdr {
			req.Header[k] = v
		}
		rec := httptest.NewRecorder()
		l.ServeHTTP(rec, req)
		return rec.Code
	}
	sign := func(secret string, body []byte, at time.Time) http.Header {
		h, err := vipps.SignWebhook(url, secret, body, at)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	genuine := sign(secret, body, now.Add(-2*time.Second))
	if code := deliver(body, genuine); code != 200 {
		t.Fatalf("genuine delivery answered %d", code)
	}
	if code := deliver(body, genuine); code != 200 {
		t.Fatalf("replayed delivery answered %d, want an acknowledgement", code)
	}
	if code := deliver(body, sign("wrong-secret", body, now)); code != 401 {
		t.Errorf("forged delivery answered %d", code)
	}
	tampered := bytes.Replace(body, []byte(`4990`), []byte(`1`), 1)
	if code := deliver(tampered, sign(secret, body, now)); code != 401 {
		t.Errorf("tampered delivery answered %d", code)
	}
	if code := deliver(body, sign(secret, body, now.Add(-time.Hour))); code != 401 {
		t.Errorf("stale delivery answered %d", code)
	}
	if code := deliver(body, http.Header{}); code != 401 {
		t.Errorf("unsigned delivery answered %d", code)
	}

	if len(got) != 1 || got[0].Reference != "pos1-000042" || got[0].Name != "AUTHORIZED" || got[0].Amount != 4990 {
		t.Fatalf("checkout received %+v, want exactly the genuine AUTHORIZED event", got)
	}
	want := vipps.WebhookStats{Accepted: 1, Forged: 2, Tampered: 1, Stale: 1, Replayed: 1}
	if s := l.Stats(); s != want {
		t.Errorf("stats %+v, want %+v", s, want)
	}
}

func TestWebhookListenerAsksForARetryWhenTheEventCannotBeRecorded(t *testing.T) {
	const url = "http://127.0.0.1:9/vipps/webhook"
	l := newWebhookListener(url, "s", func(context.Context, flow.PaymentEvent) error {
		return context.DeadlineExceeded
	}, slog.New(slog.DiscardHandler))
	body := []byte(`{"msn":"123456","reference":"pos1-000043","pspReference":"p","name":"AUTHORIZED","amount":{"currency":"NOK","value":100},"timestamp":"2026-11-23T11:59:58Z","success":true}`)
	h, _ := vipps.SignWebhook(url, "s", body, time.Now())
	req := httptest.NewRequest("POST", "/vipps/webhook", bytes.NewReader(body))
	for k, v := range h {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	l.ServeHTTP(rec, req)
	if rec.Code < 500 {
		t.Fatalf("answered %d; Vipps must be told to retry", rec.Code)
	}
}
