package app

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
)

// pushDisabled is told by the checkout that Vipps refused a push because
// the sales unit is not enabled for it. The till asks by QR from now on
// and keeps that in its configuration file (vipps.pushDisabled), so a
// restart does not try push again; the setting is turned back by hand
// once Vipps MobilePay has enabled push.
func (t *Till) pushDisabled() {
	t.log.Warn("Vipps MobilePay has not enabled push payment requests for this sales unit: customers pay by the QR code on the customer display until vipps.pushDisabled is turned off",
		"msn", t.cfg.Vipps.MSN)
	if t.cfg.File == "" {
		return
	}
	if err := setPushDisabled(t.cfg.File); err != nil {
		t.log.Error("could not keep the switch to QR in the configuration file", "file", t.cfg.File, "err", err)
	}
}

// setPushDisabled sets vipps.pushDisabled in the configuration file and
// leaves everything else in it as it was (the running configuration holds
// values from flags and the environment that do not belong in the file).
func setPushDisabled(file string) error {
	doc := map[string]any{}
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	default:
		if err := json.Unmarshal(b, &doc); err != nil {
			return err
		}
	}
	v, _ := doc["vipps"].(map[string]any)
	if v == nil {
		v = map[string]any{}
	}
	v["pushDisabled"] = true
	doc["vipps"] = v
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, append(out, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}
