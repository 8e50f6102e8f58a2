package app

import (
	"context"
	"time"

	"github.com/kasse-pos/kasse/vipps"
)

// CheckVippsKeys asks Vipps at start whether the till's keys work (an
// access token and one harmless call, vipps.Client.CheckConnection). It
// returns the key of the notice the cashier screen shows when they do not
// (notice.vipps_keys.…), "" when they do or the till sells on its built-in
// simulator. The raw error goes to the log. Run calls it in the
// background, so a slow or absent network never holds up the start.
func (t *Till) CheckVippsKeys(ctx context.Context) string {
	if t.sim != nil || t.vipps == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := t.vipps.CheckConnection(ctx)
	if conn == vipps.ConnectionOK {
		t.log.Info("Vipps keys checked at start", "vipps_env", t.cfg.Vipps.Env, "msn", t.cfg.Vipps.MSN)
		return ""
	}
	t.log.Error("Vipps refused the till's keys at start", "vipps_env", t.cfg.Vipps.Env, "msn", t.cfg.Vipps.MSN,
		"result", conn.String(), "err", err)
	return "notice.vipps_keys." + conn.String()
}

// needsTraining: a till that is no demo and has no real Vipps keys (the
// built-in simulator, before the keys come) sells in training mode only.
func needsTraining(cfg *Config) bool {
	return !cfg.Demo && cfg.Vipps.Env == EnvSimulator && cfg.Vipps.BaseURL == ""
}
