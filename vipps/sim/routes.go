package sim

import "net/http"

func (s *Sim) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern, route string, h http.HandlerFunc) { mux.HandleFunc(pattern, s.withFaults(route, h)) }

	api("POST /accesstoken/get", "token", s.handleAccessToken)
	api("POST /qr/v1/exchange", "qr.exchange", s.handleQRExchange)
	api("POST /point-of-sale/v1/loyalty-check-in", "checkin", s.handleCheckIn)

	api("GET /access-management-1.0/access/.well-known/openid-configuration", "login.discovery", s.handleDiscovery)
	api("GET /access-management-1.0/access/.well-known/jwks.json", "login.jwks", s.handleJWKS)
	api("POST /access-management-1.0/access/oauth2/token", "login.token", s.handleLoginToken)
	api("POST /vipps-login-ciba/api/backchannel/authentication", "login.backchannel", s.handleBackchannel)
	api("POST /vipps-login-ciba/api/v1/user-exists", "login.userexists", s.handleUserExists)
	api("GET /vipps-userinfo-api/userinfo", "login.userinfo", s.handleUserinfo)
	api("GET /vipps-userinfo-api/userinfo/{$}", "login.userinfo", s.handleUserinfo)

	api("POST /epayment/v1/payments", "epayment.create", s.handleCreatePayment)
	api("GET /epayment/v1/payments/{reference}", "epayment.get", s.handleGetPayment)
	api("GET /epayment/v1/payments/{reference}/events", "epayment.events", s.handleEvents)
	api("POST /epayment/v1/payments/{reference}/capture", "epayment.capture", s.handleCapture)
	api("POST /epayment/v1/payments/{reference}/cancel", "epayment.cancel", s.handleCancel)
	api("POST /epayment/v1/payments/{reference}/refund", "epayment.refund", s.handleRefund)
	api("POST /epayment/v1/test/payments/{reference}/approve", "epayment.approve", s.handleForceApprove)

	api("POST /order-management/v2/{paymentType}/receipts/{orderId}", "ordermanagement.receipt", s.handleAddReceipt)
	api("PUT /order-management/v2/{paymentType}/categories/{orderId}", "ordermanagement.category", s.handlePutCategory)
	api("GET /order-management/v2/{paymentType}/{orderId}", "ordermanagement.get", s.handleGetOrder)

	api("POST /webhooks/v1/webhooks", "webhooks.register", s.handleRegisterWebhook)
	api("GET /webhooks/v1/webhooks", "webhooks.list", s.handleListWebhooks)
	api("DELETE /webhooks/v1/webhooks/{id}", "webhooks.delete", s.handleDeleteWebhook)

	// The simulator's own pages and controls: no faults, no auth.
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "sim/", http.StatusFound) })
	mux.HandleFunc("GET /sim/{$}", s.handleIndex)
	mux.HandleFunc("GET /sim/users", s.handleUsers)
	mux.HandleFunc("GET /sim/phone/{msisdn}", s.handlePhonePage)
	mux.HandleFunc("GET /sim/phones/{msisdn}/pushes", s.handlePhonePushes)
	mux.HandleFunc("POST /sim/pushes/{id}/approve", s.handleAnswer(true))
	mux.HandleFunc("POST /sim/pushes/{id}/decline", s.handleAnswer(false))
	mux.HandleFunc("GET /sim/landing", s.handleLanding)
	mux.HandleFunc("POST /sim/landing", s.handleLandingAnswer)
	mux.HandleFunc("GET /sim/admin/faults", s.handleGetFaults)
	mux.HandleFunc("PUT /sim/admin/faults", s.handlePutFaults)
	mux.HandleFunc("GET /sim/admin/ledger", s.handleLedger)
	return mux
}
