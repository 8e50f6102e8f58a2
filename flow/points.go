package flow

import "time"

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
