package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
)

type receipt struct {
	OrderLines []orderLine `json:"orderLines"`
	BottomLine *bottomLine `json:"bottomLine"`
}

type orderLine struct {
	Name                    *string   `json:"name"`
	ID                      *string   `json:"id"`
	TotalAmount             *int64    `json:"totalAmount"`
	TotalAmountExcludingTax *int64    `json:"totalAmountExcludingTax"`
	TotalTaxAmount          *int64    `json:"totalTaxAmount"`
	TaxPercentage           *int      `json:"taxPercentage,omitempty"`
	TaxRate                 *int      `json:"taxRate,omitempty"`
	UnitInfo                *unitInfo `json:"unitInfo,omitempty"`
	Discount                *int64    `json:"discount,omitempty"`
	ProductURL              *string   `json:"productUrl,omitempty"`
	IsReturn                *bool     `json:"isReturn,omitempty"`
	IsShipping              *bool     `json:"isShipping,omitempty"`
}

type unitInfo struct {
	UnitPrice    *int64  `json:"unitPrice"`
	Quantity     *string `json:"quantity"`
	QuantityUnit *string `json:"quantityUnit,omitempty"`
}

type bottomLine struct {
	Currency       string          `json:"currency"`
	TipAmount      *int64          `json:"tipAmount,omitempty"`
	GiftCardAmount json.RawMessage `json:"giftCardAmount,omitempty"`
	PosID          *string         `json:"posId,omitempty"`
	TotalAmount    json.RawMessage `json:"totalAmount,omitempty"`
	TotalTax       json.RawMessage `json:"totalTax,omitempty"`
	TotalDiscount  json.RawMessage `json:"totalDiscount,omitempty"`
	ShippingAmount json.RawMessage `json:"shippingAmount,omitempty"`
	ShippingInfo   json.RawMessage `json:"shippingInfo,omitempty"`
	PaymentSources *struct {
		GiftCard *int64 `json:"giftCard,omitempty"`
		Card     *int64 `json:"card,omitempty"`
		Voucher  *int64 `json:"voucher,omitempty"`
		Cash     *int64 `json:"cash,omitempty"`
	} `json:"paymentSources,omitempty"`
	Barcode *struct {
		Format string `json:"format"`
		Data   string `json:"data"`
	} `json:"barcode,omitempty"`
	ReceiptNumber *string         `json:"receiptNumber,omitempty"`
	TerminalID    json.RawMessage `json:"terminalId,omitempty"`
}

var (
	quantityRe = regexp.MustCompile(`^\d+([\.]\d{1,8})?$`)
	orderIDRe  = regexp.MustCompile(`^[0-9A-Za-z-_\.]+$`)
)

// validate checks the documented receipt rules; the one Vipps is known to
// enforce on amounts is totalAmount − totalAmountExcludingTax = totalTaxAmount.
func (rc *receipt) validate(prefix string) []extraDetail {
	var bad []extraDetail
	field := func(name, reason string) { bad = append(bad, extraDetail{Name: prefix + name, Reason: reason}) }
	if len(rc.OrderLines) == 0 {
		field("orderLines", "At least one order line is required.")
	}
	for i, l := range rc.OrderLines {
		at := fmt.Sprintf("orderLines[%d].", i)
		if l.Name == nil || *l.Name == "" {
			field(at+"name", "The Name field is required.")
		}
		if l.ID == nil || *l.ID == "" {
			field(at+"id", "The Id field is required.")
		}
		if l.TotalAmount == nil || l.TotalAmountExcludingTax == nil || l.TotalTaxAmount == nil {
			field(at+"totalAmount", "totalAmount, totalAmountExcludingTax and totalTaxAmount are required.")
			continue
		}
		if *l.TotalAmount < 0 || *l.TotalAmountExcludingTax < 0 || *l.TotalTaxAmount < 0 {
			field(at+"totalAmount", "Amounts must not be negative; use isReturn for returns.")
		}
		if *l.TotalAmount-*l.TotalAmountExcludingTax != *l.TotalTaxAmount {
			field(at+"totalTaxAmount", "Total amount - total amount excluding tax don't match order line total tax amount")
		}
		if l.TaxRate == nil && l.TaxPercentage == nil {
			field(at+"taxRate", "Either taxRate or taxPercentage is required.")
		}
		if l.TaxRate != nil && (*l.TaxRate < 0 || *l.TaxRate > 10000) {
			field(at+"taxRate", "The field TaxRate must be between 0 and 10000.")
		}
		if l.TaxPercentage != nil && (*l.TaxPercentage < 0 || *l.TaxPercentage > 100) {
			field(at+"taxPercentage", "The field TaxPercentage must be between 0 and 100.")
		}
		if u := l.UnitInfo; u != nil {
			if u.UnitPrice == nil || *u.UnitPrice < 0 {
				field(at+"unitInfo.unitPrice", "The UnitPrice field is required and must not be negative.")
			}
			if u.Quantity == nil || len(*u.Quantity) > 10 || !quantityRe.MatchString(*u.Quantity) {
				field(at+"unitInfo.quantity", "The field Quantity must match the regular expression '^\\d+([\\.]\\d{1,8})?$'.")
			}
			if q := u.QuantityUnit; q != nil {
				switch *q {
				case "PCS", "KG", "KM", "MINUTE", "LITRE", "KWH":
				default:
					field(at+"unitInfo.quantityUnit", "Unknown quantity unit.")
				}
			}
		}
		if l.Discount != nil && *l.Discount < 0 {
			field(at+"discount", "The field Discount must not be negative.")
		}
	}
	if rc.BottomLine == nil {
		field("bottomLine", "The BottomLine field is required.")
	} else {
		if _, ok := minimumAmount[rc.BottomLine.Currency]; !ok {
			field("bottomLine.currency", "The field Currency must be one of NOK, DKK, EUR.")
		}
		if b := rc.BottomLine.Barcode; b != nil {
			switch b.Format {
			case "EAN-13", "CODE 39", "CODE 128":
			default:
				field("bottomLine.barcode.format", "The field Format must be one of EAN-13, CODE 39, CODE 128.")
			}
			if b.Format == "EAN-13" && !regexp.MustCompile(`^\d{13}$`).MatchString(b.Data) {
				field("bottomLine.barcode.data", "EAN-13 data must be 13 digits.")
			}
		}
	}
	return bad
}

type storedReceipt struct {
	receipt  receipt
	category *categoryRequest
}

type categoryRequest struct {
	Category        string  `json:"category"`
	OrderDetailsURL string  `json:"orderDetailsUrl"`
	ImageID         *string `json:"imageId,omitempty"`
}

type orderResponse struct {
	Category *orderCategory `json:"category,omitempty"`
	Receipt  *receipt       `json:"receipt,omitempty"`
}

type orderCategory struct {
	Category        string  `json:"category"`
	OrderDetailsURL string  `json:"orderDetailsUrl"`
	ImageURL        *string `json:"imageUrl,omitempty"`
}

var omAuth = apiAuth{needMSN: true}

func omProblem(w http.ResponseWriter, r *http.Request, status int, title, detail string, params []extraDetail) {
	writeJSON(w, status, invalidProblem{Type: fmt.Sprintf("https://httpstatuses.io/%d", status), Title: title,
		Detail: detail, Instance: r.URL.Path, InvalidParams: params})
}

// omPath validates {paymentType} (ECOM/RECURRING, any case) and {orderId}.
func omPath(w http.ResponseWriter, r *http.Request) (string, bool) {
	switch strings.ToUpper(r.PathValue("paymentType")) {
	case "ECOM", "RECURRING":
	default:
		omProblem(w, r, 400, "Bad Request", "Invalid payment type", []extraDetail{{Name: "paymentType", Reason: "Must be ECOM or RECURRING."}})
		return "", false
	}
	id := r.PathValue("orderId")
	if !orderIDRe.MatchString(id) {
		omProblem(w, r, 400, "Bad Request", "Invalid orderId", []extraDetail{{Name: "orderId", Reason: "Must match ^[0-9A-Za-z-_\\.]+$."}})
		return "", false
	}
	return strings.ToUpper(r.PathValue("paymentType")) + "/" + id, true
}

func (s *Sim) handleAddReceipt(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, omAuth) {
		return
	}
	key, ok := omPath(w, r)
	if !ok {
		return
	}
	var rc receipt
	if err := decodeStrict(r, &rc); err != nil {
		omProblem(w, r, 400, "Bad Request", "The request body is not a valid receipt: "+err.Error(), nil)
		return
	}
	if bad := rc.validate(""); len(bad) > 0 {
		omProblem(w, r, 400, "Bad Request", bad[0].Reason, bad)
		return
	}
	s.mu.Lock()
	id := r.PathValue("orderId")
	st := s.receipts[id]
	if st != nil && st.receipt.OrderLines != nil {
		s.mu.Unlock()
		omProblem(w, r, 409, "Conflict", "A receipt already exists for this order and cannot be changed", nil)
		return
	}
	if st == nil {
		st = &storedReceipt{}
		s.receipts[id] = st
	}
	st.receipt = rc
	s.mu.Unlock()
	s.cfg.Logger.Info("receipt attached", "order", key)
	writeJSON(w, http.StatusCreated, randomUUID())
}

func (s *Sim) handlePutCategory(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, omAuth) {
		return
	}
	if _, ok := omPath(w, r); !ok {
		return
	}
	var c categoryRequest
	if err := decodeStrict(r, &c); err != nil {
		omProblem(w, r, 400, "Bad Request", "The request body is not valid: "+err.Error(), nil)
		return
	}
	switch c.Category {
	case "GENERAL", "RECEIPT", "ORDER_CONFIRMATION", "DELIVERY", "TICKET", "BOOKING":
	default:
		omProblem(w, r, 400, "Bad Request", "Invalid category", []extraDetail{{Name: "category", Reason: "Unknown category."}})
		return
	}
	if c.OrderDetailsURL == "" {
		omProblem(w, r, 400, "Bad Request", "orderDetailsUrl is required", []extraDetail{{Name: "orderDetailsUrl", Reason: "Required."}})
		return
	}
	s.mu.Lock()
	id := r.PathValue("orderId")
	if s.receipts[id] == nil {
		s.receipts[id] = &storedReceipt{}
	}
	s.receipts[id].category = &c
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, randomUUID())
}

func (s *Sim) handleGetOrder(w http.ResponseWriter, r *http.Request) {
	if !s.authorize(w, r, omAuth) {
		return
	}
	if _, ok := omPath(w, r); !ok {
		return
	}
	s.mu.Lock()
	st := s.receipts[r.PathValue("orderId")]
	var out orderResponse
	if st != nil {
		if st.receipt.OrderLines != nil {
			rc := st.receipt
			out.Receipt = &rc
		}
		if st.category != nil {
			out.Category = &orderCategory{Category: st.category.Category, OrderDetailsURL: st.category.OrderDetailsURL}
		}
	}
	s.mu.Unlock()
	if st == nil {
		omProblem(w, r, 404, "Not Found", "No order details for this order", nil)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
