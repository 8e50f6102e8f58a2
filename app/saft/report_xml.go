package saft

// EventReport is an X or Z report inside its event (eventReport).
type EventReport struct {
	ReportID            string            `xml:"reportID"`
	ReportType          string            `xml:"reportType"` // "Z report" or "X report"
	CompanyIdent        string            `xml:"companyIdent"`
	CompanyName         string            `xml:"companyName"`
	ReportDate          string            `xml:"reportDate"`
	ReportTime          string            `xml:"reportTime"`
	RegisterID          string            `xml:"registerID"`
	TotalCashSaleAmnt   Amount            `xml:"reportTotalCashSales>totalCashSaleAmnt"`
	ArtGroups           []ReportArtGroup  `xml:"reportArtGroups>reportArtGroup"`
	Payments            []ReportPayment   `xml:"reportPayments>reportPayment"`
	EmpPayments         []ReportEmpPay    `xml:"reportEmpPayments>reportEmpPayment,omitempty"`
	CashSalesVAT        []ReportCashVAT   `xml:"reportCashSalesVat>reportCashSaleVat"`
	OpeningChangeFloat  Amount            `xml:"reportOpeningChangeFloat"`
	ReceiptNum          int               `xml:"reportReceiptNum"`
	OpenCashBoxNum      int               `xml:"reportOpenCashBoxNum"`
	ReceiptCopyNum      int               `xml:"reportReceiptCopyNum"`
	ReceiptCopyAmnt     Amount            `xml:"reportReceiptCopyAmnt"`
	ReceiptProformaNum  int               `xml:"reportReceiptProformaNum"`
	ReceiptProformaAmnt Amount            `xml:"reportReceiptProformaAmnt"`
	ReturnNum           int               `xml:"reportReturnNum"`
	ReturnAmnt          Amount            `xml:"reportReturnAmnt"`
	DiscountNum         int               `xml:"reportDiscountNum"`
	DiscountAmnt        Amount            `xml:"reportDiscountAmnt"`
	VoidTransNum        int               `xml:"reportVoidTransNum"`
	VoidTransAmnt       Amount            `xml:"reportVoidTransAmnt"`
	CorrLines           []ReportCorrLine  `xml:"reportCorrLines>reportCorrLine"`
	PriceInquiries      []ReportPriceInq  `xml:"reportPriceInquiries>reportPriceInquiry"`
	OtherCorrs          []ReportOtherCorr `xml:"reportOtherCorrs>reportOtherCorr"`
	ReceiptDeliveryNum  int               `xml:"reportReceiptDeliveryNum"`
	ReceiptDeliveryAmnt Amount            `xml:"reportReceiptDeliveryAmnt"`
	TrainingNum         int               `xml:"reportTrainingNum"`
	TrainingAmnt        Amount            `xml:"reportTrainingAmnt"`
	GrandTotalSales     Amount            `xml:"reportGrandTotalSales"`
	GrandTotalReturn    Amount            `xml:"reportGrandTotalReturn"`
	GrandTotalSalesNet  Amount            `xml:"reportGrandTotalSalesNet"`
}

type ReportArtGroup struct {
	ArtGroupID   string `xml:"artGroupID"`
	ArtGroupNum  string `xml:"artGroupNum"`
	ArtGroupAmnt Amount `xml:"artGroupAmnt"`
}

type ReportPayment struct {
	PaymentType string `xml:"paymentType"`
	PaymentNum  int    `xml:"paymentNum"`
	PaymentAmnt Amount `xml:"paymentAmnt"`
}

type ReportEmpPay struct {
	EmpID       string `xml:"empID"`
	PaymentType string `xml:"paymentType"`
	PaymentNum  int    `xml:"paymentNum"`
	PaymentAmnt Amount `xml:"paymentAmnt"`
}

type ReportCashVAT struct {
	VATCode      string `xml:"vatCode"`
	VATPerc      string `xml:"vatPerc"`
	CashSaleAmnt Amount `xml:"cashSaleAmnt"`
	VATAmnt      Amount `xml:"vatAmnt"`
	VATAmntTp    string `xml:"vatAmntTp"`
}

type ReportCorrLine struct {
	Type string `xml:"corrLineType"`
	Num  int    `xml:"corrLineNum"`
	Amnt Amount `xml:"corrLineAmnt"`
}

type ReportPriceInq struct {
	Group string `xml:"priceInquiryGroup"`
	Num   int    `xml:"priceInquiryNum"`
	Amnt  Amount `xml:"priceInquiryAmnt"`
}

type ReportOtherCorr struct {
	Type string `xml:"otherCorrType"`
	Num  int    `xml:"otherCorrNum"`
	Amnt Amount `xml:"otherCorrAmnt"`
}
