package flow

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// RowError is a problem with one line of an imported file.
type RowError struct {
	Line   int    // 1-based, the header being line 1
	Reason string // in English, for the command line and the log
	// Key and Args name the problem for a translated screen: the text
	// "catalog." + Key with Args filled in.
	Key  string
	Args map[string]string
}

// rowProblem is why a line is refused: its key, arguments and English.
type rowProblem struct {
	key  string
	args map[string]string
	text string
}

func problemOf(key, text string, args ...string) *rowProblem {
	p := &rowProblem{key: key, text: text, args: map[string]string{}}
	for i := 0; i+1 < len(args); i += 2 {
		p.args[args[i]] = args[i+1]
	}
	return p
}

func (p *rowProblem) at(line int) RowError {
	return RowError{Line: line, Reason: p.text, Key: p.key, Args: p.args}
}

func (e RowError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Reason) }

// ImportErrors lists every bad line of a file that was therefore not imported.
type ImportErrors []RowError

func (e ImportErrors) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d bad line(s), nothing imported", len(e))
	for i, r := range e {
		if i == 20 {
			fmt.Fprintf(&b, "\n  … and %d more", len(e)-20)
			break
		}
		b.WriteString("\n  " + r.Error())
	}
	return b.String()
}

// ParseCatalogCSV reads a catalogue with the columns gtin, name, price,
// vat and (optionally) active, age (the buyer's minimum age: "18" or
// "18+"; empty for none), member_price (what a club member pays; empty
// for none) and group (the article group), in any order, named in a header line. The
// separator is a comma, or a semicolon as spreadsheets write it in Norway
// (then "24,90" is a price too). Every bad line is reported; the products
// are only usable when the error is nil.
func ParseCatalogCSV(r io.Reader) ([]Product, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	text := strings.TrimPrefix(string(data), "\ufeff") // Excel's byte-order mark
	cr := csv.NewReader(strings.NewReader(text))
	first, _, _ := strings.Cut(text, "\n")
	if strings.Count(first, ";") > strings.Count(first, ",") {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, ImportErrors{problemOf("no_header", "no header line (gtin,name,price,vat,active)").at(1)}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var errs ImportErrors
	for _, need := range []string{"gtin", "name", "price", "vat"} {
		if _, ok := col[need]; !ok {
			errs = append(errs, problemOf("no_column", "the header has no "+need+" column", "Column", need).at(1))
		}
	}
	if errs != nil {
		return nil, errs
	}
	var out []Product
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			errs = append(errs, RowError{Line: line, Reason: err.Error(), Key: "unreadable"})
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		p, bad := parseProduct(rec, col)
		if bad == nil {
			key, _ := GTINKey(p.GTIN)
			if prev, dup := seen[key]; dup {
				bad = problemOf("duplicate", fmt.Sprintf("GTIN %s is already on line %d", p.GTIN, prev), "GTIN", p.GTIN, "Line", strconv.Itoa(prev))
			} else {
				seen[key] = line
			}
		}
		if bad != nil {
			errs = append(errs, bad.at(line))
			continue
		}
		out = append(out, p)
	}
	if errs != nil {
		return nil, errs
	}
	return out, nil
}

func parseProduct(rec []string, col map[string]int) (Product, *rowProblem) {
	get := func(name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	p := Product{GTIN: get("gtin"), Name: get("name"), Active: true}
	if _, err := GTINKey(p.GTIN); err != nil {
		return p, problemOf("gtin", "gtin: "+err.Error(), "Value", p.GTIN)
	}
	if p.Name == "" {
		return p, problemOf("name", "name is empty")
	}
	price, err := ParsePrice(get("price"))
	if err != nil {
		return p, problemOf("price", "price: "+err.Error(), "Value", get("price"))
	}
	p.Price = price
	vat, err := strconv.Atoi(strings.TrimSuffix(get("vat"), "%"))
	if err != nil || !ValidVATRate(vat) {
		return p, problemOf("vat", fmt.Sprintf("vat %q: use 25, 15, 12 or 0", get("vat")), "Value", get("vat"))
	}
	p.VATRate = vat
	if a := strings.TrimSuffix(get("age"), "+"); a != "" {
		age, err := strconv.Atoi(a)
		if err != nil || age < 0 || age > 100 {
			return p, problemOf("age", fmt.Sprintf("age %q: use a minimum age of 0–100, or leave it empty", get("age")), "Value", get("age"))
		}
		p.MinimumAge = age
	}
	if mp := get("member_price"); mp != "" {
		m, err := ParsePrice(mp)
		if err != nil {
			return p, problemOf("member_price", "member_price: "+err.Error(), "Value", mp)
		}
		if m <= 0 || m > p.Price {
			return p, problemOf("member_price", fmt.Sprintf("member_price %q: above zero and at most the price, or empty", mp), "Value", mp)
		}
		p.MemberPrice = m
	}
	p.Group = get("group")
	if len(p.Group) > 64 {
		return p, problemOf("group", "group: at most 64 characters")
	}
	switch strings.ToLower(get("active")) {
	case "", "1", "true", "yes", "y", "ja", "j":
	case "0", "false", "no", "n", "nei":
		p.Active = false
	default:
		return p, problemOf("active", fmt.Sprintf("active %q: use true or false", get("active")), "Value", get("active"))
	}
	return p, nil
}

// ParsePrice reads "24.90", "24,90", "24.9" or "24" as øre, exactly: a
// price is never a float.
func ParsePrice(s string) (Money, error) {
	if s == "" {
		return 0, errors.New("empty")
	}
	whole, frac, hasFrac := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || len(whole) > 10 {
		return 0, fmt.Errorf("%q is not a price like 24.90", s)
	}
	if hasFrac && (len(frac) == 0 || len(frac) > 2 || strings.Trim(frac, "0123456789") != "") {
		return 0, fmt.Errorf("%q: at most two decimals", s)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	return Money(w*100 + f), nil
}
