package assets

import (
	"encoding/json"
	"fmt"
)

// Texts are the translations of one language ("nb", "da", "fi", "en") by
// key; a go-i18n plural entry gives its "other" form. The printed X and Z
// reports take their words from here ("report.print.…"), as the windows do.
func Texts(lang string) (map[string]string, error) {
	data, err := Translations.ReadFile("translations/kasse." + lang + ".json")
	if err != nil {
		return nil, fmt.Errorf("no texts in %q: %w", lang, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		var s string
		if json.Unmarshal(v, &s) != nil {
			var p struct{ Other string }
			if json.Unmarshal(v, &p) != nil {
				continue
			}
			s = p.Other
		}
		out[k] = s
	}
	return out, nil
}
