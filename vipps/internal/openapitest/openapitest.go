// Package openapitest checks HTTP traffic against the official Vipps
// MobilePay OpenAPI files, so that the client's requests and the
// simulator's responses are held to the real contract rather than to our
// own reading of it.
//
// The spec files under specs/ are byte-for-byte copies of the ones in
// ../shared/vipps/openapi (see SOURCES.md there); they are embedded so tests
// work in a fresh clone. On loading, every document is normalised so that
// its paths are the paths seen on the wire:
//
//   - ePayment 1.7.0 declares server https://api.vipps.no/epayment and paths
//     /v1/...; Check-in, QR, Order Management and Webhooks do the same with
//     their own prefix. The server's path is prepended to every path and the
//     servers are cleared, so /epayment/v1/payments matches whatever host it
//     was sent to (httptest server, simulator, apitest.vipps.no).
//   - Anything in front of a known API prefix is ignored, so a test server
//     mounted at /vipps-gw (client BaseURL = srv.URL+"/vipps-gw") validates
//     /vipps-gw/epayment/v1/payments as /epayment/v1/payments.
//
// Known spec bugs (API.md §12) are patched as documented tolerances; see
// tolerances.go. The Login CIBA backchannel and user-exists endpoints have
// no OpenAPI file anywhere; requests to them are reported by FindRoute as
// ErrNoSpec so callers can check them by hand.
//
// Use ValidateRequest/ValidateResponse in tests (they report through
// testing.TB), CheckRequest/CheckResponse where an error value is wanted,
// and Handler to wrap a whole http.Handler (e.g. the simulator) so every
// exchange through it is validated both ways.
package openapitest

import (
	"bytes"
	"context"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed specs/*.yaml
var specFS embed.FS

// ErrNoSpec means the path belongs to no embedded OpenAPI file (e.g. the
// CIBA endpoints under /vipps-login-ciba/).
var ErrNoSpec = errors.New("openapitest: no OpenAPI file describes this path")

// Spec is one loaded, normalised OpenAPI document.
type Spec struct {
	File   string      // file name under specs/
	Doc    *openapi3.T // paths rewritten to wire paths, servers cleared
	router routers.Router
}

type registry struct {
	specs    []*Spec
	prefixes []string // first path segments ("/epayment/"), longest first
}

var loadOnce = sync.OnceValues(load)

// Specs returns the loaded documents (for inspection in tests).
func Specs() ([]*Spec, error) {
	r, err := loadOnce()
	if err != nil {
		return nil, err
	}
	return r.specs, nil
}

func load() (*registry, error) {
	entries, err := specFS.ReadDir("specs")
	if err != nil {
		return nil, err
	}
	reg := &registry{}
	seen := map[string]bool{}
	for _, e := range entries {
		raw, err := specFS.ReadFile("specs/" + e.Name())
		if err != nil {
			return nil, err
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(raw)
		if err != nil {
			return nil, fmt.Errorf("openapitest: %s: %w", e.Name(), err)
		}
		if err := wirePaths(doc); err != nil {
			return nil, fmt.Errorf("openapitest: %s: %w", e.Name(), err)
		}
		applyTolerances(e.Name(), doc)
		router, err := gorillamux.NewRouter(doc)
		if err != nil {
			return nil, fmt.Errorf("openapitest: %s: router: %w", e.Name(), err)
		}
		reg.specs = append(reg.specs, &Spec{File: e.Name(), Doc: doc, router: router})
		for _, p := range doc.Paths.InMatchingOrder() {
			seg := "/" + strings.SplitN(strings.TrimPrefix(p, "/"), "/", 2)[0] + "/"
			if !seen[seg] {
				seen[seg] = true
				reg.prefixes = append(reg.prefixes, seg)
			}
		}
	}
	sort.Slice(reg.prefixes, func(i, j int) bool { return len(reg.prefixes[i]) > len(reg.prefixes[j]) })
	return reg, nil
}

// wirePaths prepends the first server's path to every path and clears the
// servers, so routes match on the path alone. All servers of one file share
// the same path (only the host differs between test and production).
func wirePaths(doc *openapi3.T) error {
	base := ""
	if len(doc.Servers) > 0 {
		u, err := url.Parse(doc.Servers[0].URL)
		if err != nil {
			return err
		}
		base = strings.TrimSuffix(u.Path, "/")
	}
	doc.Servers = nil
	paths := openapi3.NewPaths()
	for _, p := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(p)
		item.Servers = nil
		paths.Set(base+p, item)
	}
	doc.Paths = paths
	return nil
}

// APIPath strips whatever precedes the first known API prefix (a test base
// path such as /vipps-gw). It reports false when no prefix is found.
func APIPath(p string) (string, bool) {
	reg, err := loadOnce()
	if err != nil {
		return p, false
	}
	best := -1
	for _, pre := range reg.prefixes {
		if i := strings.Index(p, pre); i >= 0 && (best < 0 || i < best) {
			best = i
		}
	}
	if best < 0 {
		return p, false
	}
	return p[best:], true
}

// FindRoute finds the operation for method and a wire path (a test base
// path in front is ignored). It returns ErrNoSpec for paths no embedded
// file covers.
func FindRoute(method, path string) (*routers.Route, map[string]string, error) {
	reg, err := loadOnce()
	if err != nil {
		return nil, nil, err
	}
	p, ok := APIPath(path)
	if !ok {
		return nil, nil, fmt.Errorf("%w: %s %s", ErrNoSpec, method, path)
	}
	probe := &http.Request{Method: method, URL: &url.URL{Path: p}, Host: "localhost"}
	for _, s := range reg.specs {
		route, params, err := s.router.FindRoute(probe)
		if err == nil {
			return route, params, nil
		}
		if errors.Is(err, routers.ErrMethodNotAllowed) {
			return nil, nil, fmt.Errorf("openapitest: %s %s: %w (%s)", method, p, err, s.File)
		}
	}
	return nil, nil, fmt.Errorf("%w: %s %s", ErrNoSpec, method, p)
}

var options = &openapi3filter.Options{
	AuthenticationFunc:    authenticate,
	IncludeResponseStatus: true,
	MultiError:            true,
}

// authenticate checks that the credentials a security scheme asks for are
// present and well-formed (it cannot check they are valid).
func authenticate(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	h := in.RequestValidationInput.Request.Header
	switch {
	case s.Type == "http" && strings.EqualFold(s.Scheme, "bearer"),
		// ePayment and Webhooks declare an apiKey named Authorization,
		// but the docs make the word "Bearer" mandatory (else 401).
		s.Type == "apiKey" && s.In == "header" && strings.EqualFold(s.Name, "Authorization"):
		tok, ok := strings.CutPrefix(h.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(tok) == "" {
			return errors.New(`the Authorization header must be "Bearer <token>"`)
		}
	case s.Type == "http" && strings.EqualFold(s.Scheme, "basic"):
		enc, ok := strings.CutPrefix(h.Get("Authorization"), "Basic ")
		if !ok {
			return errors.New(`the Authorization header must be "Basic <base64(id:secret)>"`)
		}
		dec, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || !strings.Contains(string(dec), ":") {
			return errors.New("basic credentials must be base64(client_id:client_secret)")
		}
	case s.Type == "apiKey" && s.In == "header":
		if h.Get(s.Name) == "" {
			return fmt.Errorf("header %s is required", s.Name)
		}
	default:
		return fmt.Errorf("unsupported security scheme %s/%s", s.Type, s.Scheme)
	}
	return nil
}

func requestInput(req *http.Request, body []byte) (*openapi3filter.RequestValidationInput, error) {
	route, params, err := FindRoute(req.Method, req.URL.Path)
	if err != nil {
		return nil, err
	}
	r := req.Clone(req.Context())
	p, _ := APIPath(req.URL.Path)
	r.URL.Path, r.URL.RawPath = p, ""
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return &openapi3filter.RequestValidationInput{
		Request: r, PathParams: params, Route: route, Options: options,
	}, nil
}

// CheckRequest validates a request (headers, security, path, query and the
// given body) against its operation. req.Body is not read.
func CheckRequest(req *http.Request, body []byte) error {
	in, err := requestInput(req, body)
	if err != nil {
		return err
	}
	return openapi3filter.ValidateRequest(req.Context(), in)
}

// CheckResponse validates a response (status, Content-Type, body) to req
// against the operation req was for.
func CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	in, err := requestInput(req, nil)
	if err != nil {
		return err
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header, Options: options,
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(req.Context(), out)
}

// ValidateRequest reports through t when req does not follow the contract.
func ValidateRequest(t testing.TB, req *http.Request, body []byte) {
	t.Helper()
	if err := CheckRequest(req, body); err != nil {
		t.Errorf("request %s %s breaks the OpenAPI contract: %v\nbody: %s", req.Method, req.URL.Path, err, body)
	}
}

// ValidateResponse reports through t when the response to req does not
// follow the contract.
func ValidateResponse(t testing.TB, req *http.Request, status int, header http.Header, body []byte) {
	t.Helper()
	if err := CheckResponse(req, status, header, body); err != nil {
		t.Errorf("response %d to %s %s breaks the OpenAPI contract: %v\nbody: %s", status, req.Method, req.URL.Path, err, body)
	}
}

// Handler wraps next so that every request it receives and every response
// it writes is validated. Paths without an OpenAPI file (ErrNoSpec, e.g.
// CIBA) pass through unchecked; the caller checks those by hand.
func Handler(t testing.TB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("openapitest: reading request body: %v", err)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		_, _, ferr := FindRoute(r.Method, r.URL.Path)
		checked := !errors.Is(ferr, ErrNoSpec)
		if checked {
			ValidateRequest(t, r, body)
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		if checked {
			ValidateResponse(t, r, rec.Code, rec.Header(), rec.Body.Bytes())
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}
