package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// problem is the RFC 7807 body of ePayment, Webhooks and the gateway.
type problem struct {
	Type         string        `json:"type"`
	Title        string        `json:"title"`
	Detail       string        `json:"detail,omitempty"`
	Instance     string        `json:"instance,omitempty"`
	Status       int           `json:"status"`
	TraceID      string        `json:"traceId"`
	ExtraDetails []extraDetail `json:"extraDetails,omitempty"`
}

type extraDetail struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// invalidProblem is the Check-in / Order Management error shape.
type invalidProblem struct {
	Type          string        `json:"type"`
	Title         string        `json:"title"`
	Detail        string        `json:"detail,omitempty"`
	Instance      string        `json:"instance,omitempty"`
	InvalidParams []extraDetail `json:"invalidParams,omitempty"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	writeTyped(w, "application/json; charset=utf-8", status, v)
}

func writeTyped(w http.ResponseWriter, ctype string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func traceID() string {
	u := randomUUID()
	return "00-" + u[:8] + u[9:13] + u[14:18] + u[19:23] + u[24:] + "-" + u[24:] + "-01"
}

func newProblem(r *http.Request, status int, title, detail string) *problem {
	return &problem{
		Type: "https://httpstatuses.io/" + strconv.Itoa(status), Title: title, Detail: detail,
		Instance: r.URL.Path, Status: status, TraceID: traceID(),
	}
}

// domainError is a Vipps domain error: HTTP status plus an ErrorCode.
type domainError struct {
	status int
	code   string
	title  string
	detail string
}

func (e *domainError) Error() string { return fmt.Sprintf("%s %s", e.code, e.title) }

func derr(status int, code, title string) *domainError {
	return &domainError{status: status, code: code, title: title, detail: title}
}

func (e *domainError) problem(r *http.Request) *problem {
	p := newProblem(r, e.status, e.title, e.detail)
	if e.code != "" {
		p.ExtraDetails = []extraDetail{{Name: "ErrorCode", Reason: e.code}}
	}
	return p
}

func writeProblem(w http.ResponseWriter, p *problem) {
	writeTyped(w, "application/problem+json", p.Status, p)
}

// validationProblem is a 400 naming the offending fields, without ErrorCode.
func validationProblem(r *http.Request, fields []extraDetail) *problem {
	p := newProblem(r, http.StatusBadRequest, "Bad Request", "One or more validation errors occurred.")
	p.ExtraDetails = fields
	return p
}
