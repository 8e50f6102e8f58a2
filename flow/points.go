package flow

import (
	"context"
	"errors"
	"slices"
	"time"
)

// PointsRule is how a club's members earn points on a paid sale, and when
// points turn into a bonus cheque.
type PointsRule struct {
	// PerKrone points per whole krone (100 øre) paid; 0: no points.
	PerKrone int `json:"perKrone"`
	// Groups limits earning to these article groups; empty: every line.
	Groups []string `json:"groups,omitempty"`
	// ChequeAt points buy a bonus cheque worth ChequeValue, issued when a
	// sale takes the balance to ChequeAt or more; 0: no cheques.
	ChequeAt    int64 `json:"chequeAt,omitempty"`
	ChequeValue Money `json:"chequeValue,omitempty"`
	// ChequeDays is how long a cheque is valid (default 90 days).
	ChequeDays int `json:"chequeDays,omitempty"`
}

func (p PointsRule) validate() string {
	switch {
	case p.PerKrone < 0:
		return "points per krone cannot be negative"
	case p.ChequeAt < 0 || p.ChequeValue < 0 || p.ChequeDays < 0:
		return "bonus cheque threshold, value and days cannot be negative"
	case (p.ChequeAt > 0) != (p.ChequeValue > 0):
		return "a bonus cheque needs both a threshold and a value"
	}
	return ""
}

// BonusCheque is an amount off a later sale, issued to a member when
// their points passed the club's threshold.
type BonusCheque struct {
	ID         int64
	MemberID   int64
	Amount     Money
	IssuedAt   time.Time
	ExpiresAt  time.Time
	IssuedSale int64 // the sale that passed the threshold
	UsedSale   int64 // the sale it paid part of; 0: not used
}

// chequeAmount is the bonus cheque redeemed on the sale, 0 without one.
func (s *Sale) chequeAmount() Money {
	if s.Cheque == nil {
		return 0
	}
	return s.Cheque.Amount
}

// PointsAward is a change of a member's points: earned on a paid sale,
// taken back on a return. It is applied once per Key, atomically on the
// member's balance (chain-wide on a shared database), and issues a bonus
// cheque for every Rule.ChequeAt points the balance then holds.
type PointsAward struct {
	MemberID int64
	SaleID   int64
	Points   int64  // + earned, − reversed
	Key      string // "earn-<sale>", "return-<refund key>": applied once
	Reason   string // for the member's history: "sale 000123", "return 000123"
	Rule     PointsRule
	At       time.Time
	// Filled in by the store once applied.
	Balance int64         // the member's balance after it (and after cheques)
	Issued  []BonusCheque // cheques this award issued
}

// MemberPoints is a member's balance and the cheques they can use.
type MemberPoints struct {
	Balance int64
	Cheques []BonusCheque // unused and unexpired, oldest first
}

// PointsEntry is one line of a member's points history.
type PointsEntry struct {
	At     time.Time
	SaleID int64
	Points int64
	Reason string
}

// PointsStore keeps members' points and bonus cheques; app/store does,
// on SQLite and on a chain's shared PostgreSQL.
type PointsStore interface {
	// AwardPoints applies an award outside a sale's transition (a return);
	// an award whose Key was applied before changes nothing.
	AwardPoints(ctx context.Context, a *PointsAward) error
	MemberPoints(ctx context.Context, memberID int64, now time.Time) (MemberPoints, error)
	PointsHistory(ctx context.Context, memberID int64) ([]PointsEntry, error)
	// ReserveCheque marks an unused cheque as used by the sale;
	// ErrChequeTaken when another sale has it. ReleaseCheque undoes it
	// (the sale was voided or the customer left).
	ReserveCheque(ctx context.Context, chequeID, saleID int64) error
	ReleaseCheque(ctx context.Context, chequeID, saleID int64) error
}

// ErrChequeTaken is returned for a bonus cheque another sale uses.
var ErrChequeTaken = errors.New("the bonus cheque is used by another sale")

// LinePoints is what a line earns under rule: PerKrone for every whole
// krone the customer pays for it, on the rule's groups only when it has
// groups.
func LinePoints(l SaleLine, rule PointsRule) int64 {
	if rule.PerKrone <= 0 || l.Total() <= 0 {
		return 0
	}
	if len(rule.Groups) > 0 && !slices.Contains(rule.Groups, l.Group) {
		return 0
	}
	return int64(l.Total()) / 100 * int64(rule.PerKrone)
}

// SalePoints is what a paid sale earns under rule, per line and in all.
func SalePoints(lines []SaleLine, rule PointsRule) (perLine []int64, total int64) {
	perLine = make([]int64, len(lines))
	for i, l := range lines {
		perLine[i] = LinePoints(l, rule)
		total += perLine[i]
	}
	return perLine, total
}

// ReturnPoints is what returning qty (by line index) of s takes back: each
// line's points in proportion to the quantity returned.
func ReturnPoints(s *Sale, returned map[int]int) int64 {
	var p int64
	for i, q := range returned {
		if i < 0 || i >= len(s.Lines) || q <= 0 || s.Lines[i].Quantity <= 0 {
			continue
		}
		l := s.Lines[i]
		p += l.Points * int64(q) / int64(l.Quantity)
	}
	return p
}
