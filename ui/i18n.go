package ui

import (
	"io/fs"
	"maps"
	"path"
	"strings"
	"sync"
	"text/template"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/kasse-pos/kasse/assets"
	"github.com/kasse-pos/kasse/flow"
)

// Languages the till speaks; the first is the fallback.
var Languages = []string{"en", "nb", "da", "fi"}

// texts holds every translation by language and key. Fyne's lang package
// has a single process-wide localizer, but the customer display may speak
// the member's language while the cashier keeps theirs, so kasse looks its
// own texts up per window. The same files are also handed to lang so that
// Fyne's built-in dialogs follow the system language.
type texts map[string]map[string]string

func loadTexts() (texts, error) {
	t := texts{}
	files, err := fs.Glob(assets.Translations, "translations/*.json")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		code := strings.TrimSuffix(path.Base(f), ".json")
		code = code[strings.LastIndex(code, ".")+1:]
		m, err := assets.Texts(code)
		if err != nil {
			return nil, err
		}
		t[code] = m
	}
	return t, nil
}

// registerFyneTexts hands our translations to Fyne once per process; the
// bundle is global and adding them again would only duplicate languages.
var registerFyneTexts = sync.OnceFunc(func() {
	if err := lang.AddTranslationsFS(assets.Translations, "translations"); err != nil {
		fyne.LogError("loading translations", err)
	}
})

// Brand is what the store's market calls the app and the company today
// (vipps.BrandFor): texts say {{.App}} and {{.Company}} and never name
// either, so a Danish till says MobilePay until 12 January 2027 and Vipps
// from that morning, whatever language its cashier reads.
type Brand struct{ App, Company string }

// norwayBrand is the brand where none was configured.
func norwayBrand() Brand { return Brand{App: "Vipps", Company: "Vipps MobilePay"} }

// tr translates for one window in one language.
type tr struct {
	all   texts
	lang  string
	brand func() Brand // nil: norwayBrand
}

// T returns the text for key with args filled in; an unknown key falls back
// to English, then to the key itself so a missing text is visible, not blank.
func (t tr) T(key string, args ...map[string]string) string {
	s, ok := t.all[t.lang][key]
	if !ok {
		if s, ok = t.all["en"][key]; !ok {
			return key
		}
	}
	if !strings.Contains(s, "{{") {
		return s
	}
	b := norwayBrand()
	if t.brand != nil {
		b = t.brand()
	}
	a := map[string]string{"App": b.App, "Company": b.Company}
	if len(args) > 0 {
		maps.Copy(a, args[0])
	}
	return fill(s, a)
}

// Notice translates a flow notice by its key. A key the window does not
// know says "that did not work" rather than show flow's English (or an
// error's) text.
func (t tr) Notice(n *flow.Notice) string {
	if n == nil {
		return ""
	}
	if _, ok := NoticeKeys[n.Key]; ok {
		if _, ok := t.all["en"][n.Key]; ok {
			return t.T(n.Key, n.Args)
		}
	}
	return t.T("action.failed")
}

func fill(s string, args map[string]string) string {
	tpl, err := template.New("").Option("missingkey=zero").Parse(s)
	if err != nil {
		return s
	}
	var b strings.Builder
	if err := tpl.Execute(&b, args); err != nil {
		return s
	}
	return strings.ReplaceAll(b.String(), "<no value>", "")
}

// pickLang maps a configured or system language to one the till speaks:
// Norwegian Bokmål, Nynorsk and plain "no" all read nb.
func pickLang(want string) string {
	want = strings.ToLower(strings.ReplaceAll(want, "_", "-"))
	if i := strings.IndexByte(want, '-'); i > 0 {
		want = want[:i]
	}
	switch want {
	case "nb", "nn", "no":
		return "nb"
	case "da", "fi", "en":
		return want
	}
	return ""
}

// systemLang is the cashier's language when none is configured.
func systemLang() string {
	if l := pickLang(lang.SystemLocale().LanguageString()); l != "" {
		return l
	}
	return "en"
}
