package store

import "time"

// The tables. Amounts are int64 minor units; times are UTC.

type productRow struct {
	GTINKey string `gorm:"primaryKey;size:14"`     // GTIN-14, zero-padded: what lookups use
	GTIN    string `gorm:"size:14;not null;index"` // as imported
	Name    string `gorm:"size:200;not null;index"`
	Search  string `gorm:"size:200;not null;default:'';index"` // lower-case name, for prefix search by index
	Price   int64  `gorm:"not null"`
	VATRate int    `gorm:"not null"`
	Active  bool   `gorm:"not null"`
	MinAge  int    `gorm:"column:minimum_age;not null;default:0"` // 0: no age limit
	// MemberPrice is the club member's price per unit; 0: none.
	MemberPrice int64  `gorm:"not null;default:0"`
	ArtGroup    string `gorm:"column:article_group;size:64;not null;default:''"`
}

func (productRow) TableName() string { return "products" }

type memberRow struct {
	ID         int64   `gorm:"primaryKey"`
	MSISDN     string  `gorm:"size:15;not null;uniqueIndex"`
	Sub        *string `gorm:"size:100;uniqueIndex"`
	Name       string  `gorm:"size:200"`
	GivenName  string  `gorm:"size:100"`
	Email      string  `gorm:"size:200"`
	BirthDate  string  `gorm:"size:10"`
	Lang       string  `gorm:"size:5"`
	ConsentAt  time.Time
	Scopes     string `gorm:"size:300"` // space-separated, as OAuth writes them
	EnrolledAt string `gorm:"size:64"`  // POS id
	// Points is the member's balance, changed only by increments
	// (store/points.go), so tills sharing the database never lose points.
	Points int64 `gorm:"not null;default:0"`
	// ConsentBinding is the binding message confirmed at enrolment.
	ConsentBinding string `gorm:"size:8;not null;default:''"`
	// ErasedAt: the member's personal data was erased; the row stays as
	// the anonymous reference of their sales and points.
	ErasedAt  *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (memberRow) TableName() string { return "members" }

// memberConsentRow is one marketing consent a member answered at enrolment
// (flow.MemberConsent): the text they were shown and their answer.
type memberConsentRow struct {
	MemberID  int64  `gorm:"primaryKey;autoIncrement:false"`
	ConsentID string `gorm:"primaryKey;size:100"`
	Text      string `gorm:"size:1000"`
	Accepted  bool   `gorm:"not null"`
	Required  bool   `gorm:"not null"`
	At        time.Time
}

func (memberConsentRow) TableName() string { return "member_consents" }

type saleRow struct {
	ID             int64      `gorm:"primaryKey"`
	POSID          string     `gorm:"size:64;not null;uniqueIndex:sales_pos_seq,priority:1;index:sales_pos_stage,priority:1"`
	ReceiptSeq     int64      `gorm:"not null;uniqueIndex:sales_pos_seq,priority:2"`
	ReceiptNumber  string     `gorm:"size:32;not null"`
	Currency       string     `gorm:"size:3;not null"`
	Stage          string     `gorm:"size:16;not null;index:sales_pos_stage,priority:2"`
	Total          int64      `gorm:"not null"`
	CustomerQR     string     `gorm:"size:255"`
	CustomerMSISDN string     `gorm:"size:15"`
	MemberID       *int64     `gorm:"index"`
	Member         *memberRow `gorm:"foreignKey:MemberID;constraint:OnDelete:SET NULL"`
	CheckedIn      bool
	EnrolStatus    string `gorm:"size:16"`
	EnrolMSISDN    string `gorm:"size:15"`
	EnrolBinding   string `gorm:"size:8"`
	EnrolAuthReqID string `gorm:"size:200"`
	EnrolExpiresAt *time.Time
	EnrolInterval  int64 // milliseconds
	Attempt        int   `gorm:"not null"`
	// The bonus cheque redeemed on the sale (0: none) and its amount.
	ChequeID     int64 `gorm:"not null;default:0"`
	ChequeAmount int64 `gorm:"not null;default:0"`
	// Version counts stored transitions: a transition computed from an
	// older copy of the sale is refused instead of overwriting a newer one.
	Version   int64 `gorm:"not null;default:0"`
	CreatedAt time.Time
	UpdatedAt time.Time
	ClosedAt  *time.Time `gorm:"index"`
}

func (saleRow) TableName() string { return "sales" }

type saleLineRow struct {
	ID          int64    `gorm:"primaryKey"`
	SaleID      int64    `gorm:"not null;uniqueIndex:sale_lines_pos,priority:1"`
	Sale        *saleRow `gorm:"constraint:OnDelete:CASCADE"`
	Position    int      `gorm:"not null;uniqueIndex:sale_lines_pos,priority:2"`
	GTIN        string   `gorm:"size:14"`
	Name        string   `gorm:"size:200;not null"`
	Quantity    int      `gorm:"not null"`
	UnitPrice   int64    `gorm:"not null"`
	Discount    int64    `gorm:"not null"`
	VATRate     int      `gorm:"not null"`
	Total       int64    `gorm:"not null"` // incl. VAT after discount
	VAT         int64    `gorm:"not null"`
	Net         int64    `gorm:"not null"`
	RefundedQty int      `gorm:"not null"`
	MinimumAge  int      `gorm:"not null;default:0"` // the product's age limit when scanned
	// Club pricing of the line (flow.SaleLine).
	MemberPrice    int64  `gorm:"not null;default:0"`
	ArtGroup       string `gorm:"column:article_group;size:64;not null;default:''"`
	MemberSaving   int64  `gorm:"not null;default:0"`
	OfferUnits     int    `gorm:"not null;default:0"`
	ChequeDiscount int64  `gorm:"not null;default:0"`
	Rules          string `gorm:"column:discount_rules;size:500;not null;default:''"`
	Points         int64  `gorm:"not null;default:0"` // club points earned on the line
}

func (saleLineRow) TableName() string { return "sale_lines" }

type paymentRow struct {
	ID              int64    `gorm:"primaryKey"`
	SaleID          int64    `gorm:"not null;index"`
	Sale            *saleRow `gorm:"constraint:OnDelete:CASCADE"`
	Reference       string   `gorm:"size:64;not null;uniqueIndex"`
	Attempt         int      `gorm:"not null"`
	IdempotencyKey  string   `gorm:"size:50;not null"`
	Status          string   `gorm:"size:16;not null"`
	VippsState      string   `gorm:"size:16"`
	Push            bool
	PushMSISDN      string `gorm:"size:15"`
	PushQR          string `gorm:"size:255"`
	QR              string `gorm:"size:2000"`
	Amount          int64  `gorm:"not null"`
	Authorized      int64  `gorm:"not null"`
	CancelRequested bool
	FallbackToQR    bool
	NotOurs         bool `gorm:"not null;default:false"`
	CreatedAt       time.Time
	ExpiresAt       *time.Time
	UpdatedAt       time.Time
}

func (paymentRow) TableName() string { return "payments" }

// paymentEventRow keeps every Vipps event we saw, from webhooks and from
// the event log; the unique index makes a duplicate delivery a no-op.
type paymentEventRow struct {
	ID             int64  `gorm:"primaryKey"`
	Reference      string `gorm:"size:64;not null;uniqueIndex:payment_events_dedup,priority:1"`
	Name           string `gorm:"size:16;not null;uniqueIndex:payment_events_dedup,priority:2"`
	PSPReference   string `gorm:"size:100;not null;uniqueIndex:payment_events_dedup,priority:3"`
	Success        bool   `gorm:"not null;uniqueIndex:payment_events_dedup,priority:4"`
	Amount         int64  `gorm:"not null"`
	IdempotencyKey string `gorm:"size:50"`
	At             time.Time
	ReceivedAt     time.Time
}

func (paymentEventRow) TableName() string { return "payment_events" }

type journalRow struct {
	ID        int64    `gorm:"primaryKey"`
	SaleID    int64    `gorm:"not null;index"`
	Sale      *saleRow `gorm:"constraint:OnDelete:CASCADE"`
	Reference string   `gorm:"size:64;index"`
	FromState string   `gorm:"size:40"`
	ToState   string   `gorm:"size:40"`
	At        time.Time
	Detail    string `gorm:"size:500"`
}

func (journalRow) TableName() string { return "journal" }

// OutboxJobRow is a settlement job (flow.OutboxJob). Exported for the
// settlement worker's queries in this package.
type OutboxJobRow struct {
	ID             int64     `gorm:"primaryKey"`
	SaleID         int64     `gorm:"not null;index"`
	Sale           *saleRow  `gorm:"constraint:OnDelete:RESTRICT"`
	Reference      string    `gorm:"size:64;not null;index"`
	Kind           string    `gorm:"size:16;not null"`
	Amount         int64     `gorm:"not null"`
	IdempotencyKey string    `gorm:"size:50;not null;uniqueIndex"`
	SendKey        string    `gorm:"size:50;not null;default:''"` // the key sent now, when renewed (flow.OutboxJob.SendKey)
	State          string    `gorm:"size:16;not null;index:settlement_jobs_due,priority:1"`
	Attempts       int       `gorm:"not null"`
	NextAt         time.Time `gorm:"index:settlement_jobs_due,priority:2"`
	LastError      string    `gorm:"size:1000"`
	// LeasedBy is the till whose worker holds the lease of a running job.
	LeasedBy string `gorm:"size:64;not null;default:''"`
	// CaptureBy: until when Vipps guarantees a capture's reservation, once
	// learnt (flow.OutboxJob.CaptureBy); NULL before.
	CaptureBy *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (OutboxJobRow) TableName() string { return "settlement_jobs" }
