package flow_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/kasse-pos/kasse/flow"
)

func TestParsePrice(t *testing.T) {
	for in, want := range map[string]flow.Money{"24.90": 2490, "24,90": 2490, "24.9": 2490, "24": 2400, "0.05": 5, "1299.00": 129900} {
		if got, err := flow.ParsePrice(in); err != nil || got != want {
			t.Errorf("ParsePrice(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-5", "24.999", "24.", "kr 24", "2e3", "24.9a"} {
		if _, err := flow.ParsePrice(bad); err == nil {
			t.Errorf("ParsePrice(%q) accepted", bad)
		}
	}
}

func TestParseCatalogCSV(t *testing.T) {
	good := "gtin,name,price,vat,active\n7038010000737,Lettmelk 1 l,25.90,15,true\n\"7090001230011\",\"Avis, lørdag\",45,0,\n7310150010013,Batteri,89.00,25,false\n"
	ps, err := flow.ParseCatalogCSV(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []flow.Product{{"7038010000737", "Lettmelk 1 l", 2590, 15, true, 0, 0, ""}, {"7090001230011", "Avis, lørdag", 4500, 0, true, 0, 0, ""}, {"7310150010013", "Batteri", 8900, 25, false, 0, 0, ""}}
	if len(ps) != len(want) {
		t.Fatalf("%d products", len(ps))
	}
	for i := range want {
		if ps[i] != want[i] {
			t.Errorf("product %d = %+v, want %+v", i, ps[i], want[i])
		}
	}
	club := "gtin;name;price;vat;member_price;group\n7038010000737;Lettmelk;25,90;15;19,90;meieri\n7040913336684;Brød;39,90;15;;bakeri\n"
	if ps, err := flow.ParseCatalogCSV(strings.NewReader(club)); err != nil || ps[0].MemberPrice != 1990 || ps[0].Group != "meieri" || ps[1].MemberPrice != 0 || ps[1].Group != "bakeri" {
		t.Errorf("member prices and groups: %+v, %v", ps, err)
	}
	if _, err := flow.ParseCatalogCSV(strings.NewReader("gtin,name,price,vat,member_price\n7038010000737,Melk,25.90,15,29.90\n")); err == nil {
		t.Error("a member price above the price was imported")
	}
	semi := "\ufeffname;gtin;price;vat\nBrød;7040913336684;39,90;15\n"
	if ps, err := flow.ParseCatalogCSV(strings.NewReader(semi)); err != nil || ps[0].Price != 3990 || ps[0].GTIN != "7040913336684" {
		t.Errorf("semicolon file: %+v, %v", ps, err)
	}

	bad := "gtin,name,price,vat\n7038010000737,Melk,25.90,15\n7038010000738,Feil sjekksiffer,10,15\n7040913336684,,10,15\n7040913336684,Brød,ti kroner,15\n7310150010013,Batteri,89,24\n7038010000737,Melk igjen,25.90,15\n"
	_, err = flow.ParseCatalogCSV(strings.NewReader(bad))
	var ie flow.ImportErrors
	if !errors.As(err, &ie) {
		t.Fatalf("err = %v", err)
	}
	lines := map[int]string{}
	for _, e := range ie {
		lines[e.Line] = e.Reason
	}
	for line, about := range map[int]string{3: "check digit", 4: "name", 5: "price", 6: "vat", 7: "line 2"} {
		if !strings.Contains(lines[line], about) {
			t.Errorf("line %d: %q, want it to mention %q", line, lines[line], about)
		}
	}
	if len(ie) != 5 {
		t.Errorf("%d errors: %v", len(ie), err)
	}
	aged := "gtin,name,price,vat,age\n7038010000737,Pils 0.5 l,34.90,25,18\n7040913336684,Snus,99,25,18+\n7310150010013,Batteri,89,25,\n"
	if ps, err := flow.ParseCatalogCSV(strings.NewReader(aged)); err != nil || len(ps) != 3 || ps[0].MinimumAge != 18 || ps[1].MinimumAge != 18 || ps[2].MinimumAge != 0 {
		t.Errorf("age column: %+v, %v", ps, err)
	}
	if _, err := flow.ParseCatalogCSV(strings.NewReader("gtin,name,price,vat,age\n7038010000737,Pils,34.90,25,atten\n")); err == nil || !strings.Contains(err.Error(), "age") {
		t.Errorf("a bad age: %v", err)
	}
	if _, err := flow.ParseCatalogCSV(strings.NewReader("ean,navn\n1,2\n")); err == nil {
		t.Error("a file without the needed columns was accepted")
	}
}
