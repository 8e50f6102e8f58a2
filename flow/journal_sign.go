package flow

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// JournalSigningKey journals a new SAF-T signing key of a till: Data holds
// its public key (PEM) and KeyVersion its version, so an auditor can be
// given every public key a till ever signed with. The private key is never
// journaled.
const JournalSigningKey JournalEvent = "signing-key" // 13999

// TransactionSigner signs the text of one SAF-T cash transaction (app/saft's
// KeyRing: RSA-SHA1 with a 1024-bit key per till). It returns the base64
// signature and the version of the key that made it.
type TransactionSigner interface {
	SignTransaction(text string) (signature, keyVersion string, err error)
}

// NoPreviousSignature is what the signed text starts with for a till's first
// signed transaction (Skatteetaten's validator accepts "0" there).
const NoPreviousSignature = "0"

// SignatureText is the line Skatteetaten's signing guideline signs for a
// cash transaction: the previous transaction's signature, the date and time
// in the shop's zone, the transaction number and the amounts with and
// without VAT, joined by ";".
func SignatureText(prev string, at time.Time, nr string, amountIn, amountEx Money) string {
	if prev == "" {
		prev = NoPreviousSignature
	}
	return strings.Join([]string{prev, at.Format(time.DateOnly), at.Format(time.TimeOnly), nr,
		SAFTAmount(amountIn), SAFTAmount(amountEx)}, ";")
}

// SAFTAmount writes øre as kroner with a dot and two decimals ("-12.50"),
// as SAF-T amounts and the signed text have them.
func SAFTAmount(m Money) string {
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Sprintf("%s%d.%02d", sign, m/100, m%100)
}

// NetTotal is the sale's amount without VAT: the sum of its lines' nets.
func (s SaleRecord) NetTotal() Money {
	var n Money
	for _, l := range s.Lines {
		n += l.Net
	}
	return n
}

// signSale stamps r (a sale or return record of s) with its time and the
// signature chained to the till's previous signed transaction. The caller
// holds signMu until r is appended, so the chain follows the journal's order.
func (j *ElectronicJournal) signSale(ctx context.Context, r *JournalRecord, s SaleRecord) error {
	prev := NoPreviousSignature
	last, err := j.Store.LastJournalRecord(ctx, j.TillID, JournalSale, JournalReturn)
	switch {
	case err == nil && last.Signature != "":
		prev = last.Signature
	case err != nil && !errors.Is(err, ErrNoRecord):
		return fmt.Errorf("reading the previous signature: %w", err)
	}
	r.At = j.Now().Truncate(time.Microsecond)
	text := SignatureText(prev, r.At.In(j.Location), s.ReceiptNumber, s.Total, s.NetTotal())
	sig, version, err := j.Signer.SignTransaction(text)
	if err != nil {
		return fmt.Errorf("signing receipt %s: %w", s.ReceiptNumber, err)
	}
	r.Signature, r.KeyVersion = sig, version
	return nil
}
