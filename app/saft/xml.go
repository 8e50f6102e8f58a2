package saft

import (
	"encoding/xml"
	"fmt"

	"github.com/kasse-pos/kasse/flow"
)

// Namespace is the target namespace of the Norwegian SAF-T Cash Register
// schema v1.00.
const Namespace = "urn:StandardAuditFile-Taxation-CashRegister:NO"

// The element structs follow the XSD's sequences field by field: order
// matters. Optional elements are pointers or omitempty.

// AuditFile is the root element.
type AuditFile struct {
	XMLName xml.Name `xml:"urn:StandardAuditFile-Taxation-CashRegister:NO auditfile"`
	Header  Header   `xml:"header"`
	Company Company  `xml:"company"`
}

type Header struct {
	FiscalYear          string `xml:"fiscalYear"`
	StartDate           string `xml:"startDate"`
	EndDate             string `xml:"endDate"`
	CurCode             string `xml:"curCode"`
	DateCreated         string `xml:"dateCreated"`
	TimeCreated         string `xml:"timeCreated"`
	SoftwareDesc        string `xml:"softwareDesc"`
	SoftwareVersion     string `xml:"softwareVersion"`
	SoftwareCompanyName string `xml:"softwareCompanyName"`
	AuditfileVersion    string `xml:"auditfileVersion"`
	HeaderComment       string `xml:"headerComment,omitempty"`
	UserID              string `xml:"userID,omitempty"`
}

type Address struct {
	Streetname string `xml:"streetname,omitempty"`
	Number     string `xml:"number,omitempty"`
	City       string `xml:"city,omitempty"`
	PostalCode string `xml:"postalCode,omitempty"`
	Country    string `xml:"country,omitempty"`
}

type Company struct {
	CompanyIdent           string          `xml:"companyIdent"`
	CompanyName            string          `xml:"companyName"`
	TaxRegistrationCountry string          `xml:"taxRegistrationCountry,omitempty"`
	TaxRegIdent            string          `xml:"taxRegIdent,omitempty"`
	StreetAddress          *Address        `xml:"streetAddress,omitempty"`
	VATCodeDetails         []VATCodeDetail `xml:"vatCodeDetails>vatCodeDetail"`
	Employees              []Employee      `xml:"employees>employee"`
	Articles               []Article       `xml:"articles>article"`
	Basics                 []Basic         `xml:"basics>basic"`
	Locations              []Location      `xml:"location"`
}

type VATCodeDetail struct {
	VATCode         string `xml:"vatCode"`
	DateOfEntry     string `xml:"dateOfEntry"`
	VATDesc         string `xml:"vatDesc,omitempty"`
	StandardVATCode string `xml:"standardVatCode"`
}

type Employee struct {
	EmpID       string `xml:"empID"`
	DateOfEntry string `xml:"dateOfEntry"`
	TimeOfEntry string `xml:"timeOfEntry"`
	FirstName   string `xml:"firstName,omitempty"`
	SurName     string `xml:"surName"`
	Roles       []Role `xml:"employeeRole"`
}

type Role struct {
	RoleType     string `xml:"roleType"`
	RoleTypeDesc string `xml:"roleTypeDesc,omitempty"`
}

type Article struct {
	ArtID       string `xml:"artID"`
	DateOfEntry string `xml:"dateOfEntry"`
	ArtGroupID  string `xml:"artGroupID,omitempty"`
	ArtDesc     string `xml:"artDesc"`
}

type Basic struct {
	BasicType         string `xml:"basicType"`
	BasicID           string `xml:"basicID"`
	PredefinedBasicID string `xml:"predefinedBasicID,omitempty"`
	BasicDesc         string `xml:"basicDesc"`
}

type Location struct {
	Name          string         `xml:"name,omitempty"`
	StreetAddress *Address       `xml:"streetAddress,omitempty"`
	CashRegisters []CashRegister `xml:"cashregister"`
}

type CashRegister struct {
	RegisterID       string            `xml:"registerID"`
	RegDesc          string            `xml:"regDesc,omitempty"`
	Events           []Event           `xml:"event"`
	CashTransactions []CashTransaction `xml:"cashtransaction"`
}

type Event struct {
	EventID     string       `xml:"eventID"`
	EventType   string       `xml:"eventType"`
	TransID     string       `xml:"transID,omitempty"`
	EmpID       string       `xml:"empID,omitempty"`
	EventDate   string       `xml:"eventDate"`
	EventTime   string       `xml:"eventTime"`
	EventText   string       `xml:"eventText,omitempty"`
	EventReport *EventReport `xml:"eventReport,omitempty"`
}

type CashTransaction struct {
	Nr          string    `xml:"nr"`
	TransID     string    `xml:"transID"`
	TransType   string    `xml:"transType"`
	TransAmntIn Amount    `xml:"transAmntIn"`
	TransAmntEx Amount    `xml:"transAmntEx"`
	AmntTp      string    `xml:"amntTp"`
	EmpID       string    `xml:"empID,omitempty"`
	TransDate   string    `xml:"transDate"`
	TransTime   string    `xml:"transTime"`
	RefID       string    `xml:"refID,omitempty"`
	Desc        string    `xml:"desc,omitempty"`
	Lines       []CTLine  `xml:"ctLine"`
	VAT         []VAT     `xml:"vat"`
	Rounding    *Rounding `xml:"rounding,omitempty"`
	Payments    []Payment `xml:"payment"`
	Signature   string    `xml:"signature"`
	KeyVersion  string    `xml:"keyVersion"`
	ReceiptNum  int       `xml:"receiptNum"`
	CopyNum     int       `xml:"receiptCopyNum"`
	Void        bool      `xml:"voidTransaction"`
	Training    bool      `xml:"trainingID"`
}

type CTLine struct {
	Nr         string     `xml:"nr"`
	LineID     string     `xml:"lineID"`
	LineType   string     `xml:"lineType"`
	ArtGroupID string     `xml:"artGroupID,omitempty"`
	ArtID      string     `xml:"artID,omitempty"`
	Qnt        string     `xml:"qnt"`
	LineAmntIn Amount     `xml:"lineAmntIn"`
	LineAmntEx Amount     `xml:"lineAmntEx"`
	AmntTp     string     `xml:"amntTp"`
	PPU        Amount6    `xml:"ppu"`
	EmpID      string     `xml:"empID,omitempty"`
	Descr      string     `xml:"cashTransLineDescr,omitempty"`
	LineDate   string     `xml:"lineDate"`
	LineTime   string     `xml:"lineTime"`
	VAT        *VAT       `xml:"vat"`
	Savings    []Savings  `xml:"savings"`
	Discounts  []Discount `xml:"discount"`
}

type VAT struct {
	VATCode    string `xml:"vatCode"`
	VATPerc    string `xml:"vatPerc"`
	VATAmnt    Amount `xml:"vatAmnt"`
	VATAmntTp  string `xml:"vatAmntTp"`
	VATBasAmnt Amount `xml:"vatBasAmnt"`
}

type Discount struct {
	DscTp   string `xml:"dscTp"`
	DscAmnt Amount `xml:"dscAmnt"`
	EmpID   string `xml:"empID,omitempty"`
}

type Payment struct {
	PaymentType  string `xml:"paymentType"`
	PaidAmnt     Amount `xml:"paidAmnt"`
	EmpID        string `xml:"empID,omitempty"`
	CurCode      string `xml:"curCode"`
	PaymentRefID string `xml:"paymentRefID,omitempty"`
}

// Amount is øre written as kroner with two decimals (Amount2decimals).
type Amount flow.Money

func (a Amount) MarshalText() ([]byte, error) {
	m := int64(a)
	sign := ""
	if m < 0 {
		sign, m = "-", -m
	}
	return fmt.Appendf(nil, "%s%d.%02d", sign, m/100, m%100), nil
}

// Amount6 is øre written with six decimals (Amount6decimals, e.g. ppu).
type Amount6 flow.Money

func (a Amount6) MarshalText() ([]byte, error) {
	b, _ := Amount(a).MarshalText()
	return append(b, "0000"...), nil
}
