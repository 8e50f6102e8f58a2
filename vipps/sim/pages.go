package sim

import (
	"html/template"
	"net/http"
	"sort"
)

var indexTmpl = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Vipps MobilePay simulator</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:50em}code{background:#eee;padding:0 .3em}td{padding:.2em .8em}</style>
</head><body>
<h1>Vipps MobilePay simulator</h1>
<p>Base URL: <code>{{.Base}}</code> · MSN <code>{{.MSN}}</code> · client_id <code>{{.ClientID}}</code> · currency {{.Currency}}</p>
<h2>Customer phones</h2>
<table>{{range .Users}}<tr><td><a href="phone/{{.MSISDN}}">{{.MSISDN}}</a></td><td>{{.Name}}</td><td>{{.Country}}</td></tr>{{end}}</table>
<p>Any other Norwegian (47…), Danish (45…) or Finnish (358…) number is an ordinary user; numbers ending in 0000 have no account.</p>
<h2>Personal QR codes</h2>
<table>{{range .QR}}<tr><td><code>{{.Code}}</code></td><td>{{.MSISDN}}</td></tr>{{end}}</table>
<h2>Admin</h2>
<p><a href="admin/ledger">ledger</a> · <a href="admin/faults">faults</a> (PUT JSON to change)</p>
</body></html>`))

type qrInfo struct{ Code, MSISDN string }

func (s *Sim) handleIndex(w http.ResponseWriter, r *http.Request) {
	var qr []qrInfo
	for t, m := range DemoQRTokens {
		qr = append(qr, qrInfo{"https://qr.vipps.no/p/" + t, m})
	}
	for _, u := range DemoUsers[:2] {
		qr = append(qr, qrInfo{"https://qr.vipps.no/28/2/01/031/" + u.MSISDN + "?v=1", u.MSISDN})
	}
	sort.Slice(qr, func(i, j int) bool { return qr[i].Code < qr[j].Code })
	type userRow struct{ MSISDN, Name, Country string }
	var users []userRow
	for _, u := range DemoUsers {
		users = append(users, userRow{u.MSISDN, u.Name(), u.Country})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = indexTmpl.Execute(w, map[string]any{"Base": externalBase(r), "MSN": s.cfg.MSN, "ClientID": s.cfg.ClientID,
		"Currency": s.cfg.Currency, "Users": users, "QR": qr})
}

func (s *Sim) handleUsers(w http.ResponseWriter, r *http.Request) {
	type userJSON struct {
		MSISDN    string `json:"msisdn"`
		Name      string `json:"name"`
		Email     string `json:"email"`
		Birthdate string `json:"birthdate"`
		Country   string `json:"country"`
	}
	var out []userJSON
	for _, u := range DemoUsers {
		out = append(out, userJSON{u.MSISDN, u.Name(), u.Email, u.Birthdate, u.Country})
	}
	qr := map[string]string{}
	for t, m := range DemoQRTokens {
		qr["https://qr.vipps.no/p/"+t] = m
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "qrCodes": qr})
}

var phoneTmpl = template.Must(template.New("phone").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Phone {{.MSISDN}}</title>
<style>
body{font-family:system-ui,sans-serif;background:#ff5b24;margin:0;display:flex;justify-content:center}
#phone{background:#fff;width:22em;min-height:36em;margin:1em;border-radius:1.5em;padding:1em;box-shadow:0 0 1em #0004}
.card{border:1px solid #ddd;border-radius:.8em;padding:.8em;margin:.6em 0}
.amount{font-size:1.8em;font-weight:bold}.bind{font-family:monospace;font-size:1.4em;letter-spacing:.1em}
button{font-size:1.1em;padding:.5em 1em;margin:.3em .3em 0 0;border-radius:.5em;border:0;cursor:pointer}
.ok{background:#2b8a3e;color:#fff}.no{background:#ccc}.done{color:#777}
</style></head><body><div id="phone">
<h2>{{.Name}}</h2><div class="done">{{.MSISDN}}</div><div id="list">…</div></div>
<script>
const msisdn = {{.MSISDN}};
function esc(s){const d=document.createElement('div');d.textContent=s==null?'':String(s);return d.innerHTML}
function money(p){return (p.amount/100).toFixed(2)+' '+p.currency}
async function answer(id, what){await fetch('../pushes/'+id+'/'+what,{method:'POST'});load()}
async function load(){
  const r = await fetch('../phones/'+msisdn+'/pushes'); const j = await r.json();
  const ps = j.pushes.slice().reverse(); let h='';
  for (const p of ps){
    let body='';
    if(p.kind==='payment') body='<div>'+esc(p.merchant)+'</div><div class="amount">'+esc(money(p))+'</div><div>'+esc(p.description)+'</div>';
    if(p.kind==='login') body='<div>'+esc(p.merchant)+' asks to share: '+esc((p.scopes||[]).filter(s=>s!=='openid').join(', '))+'</div>'+(p.bindingMessage?'<div class="bind">'+esc(p.bindingMessage)+'</div>':'');
    if(p.kind==='checkin') body='<div>You are a member of</div><div class="amount">'+esc(p.club)+'</div>';
    let act='';
    if(p.state==='pending'){
      act = p.kind==='checkin' ? '<button class="no" onclick="answer(\''+p.id+'\',\'approve\')">Close</button>'
        : '<button class="ok" onclick="answer(\''+p.id+'\',\'approve\')">'+(p.kind==='payment'?'Pay':'Confirm')+'</button><button class="no" onclick="answer(\''+p.id+'\',\'decline\')">Decline</button>';
    } else act='<div class="done">'+esc(p.state)+(p.redirectUrl?' · <a href="'+esc(p.redirectUrl)+'">continue</a>':'')+'</div>';
    h+='<div class="card">'+body+act+'</div>';
  }
  document.getElementById('list').innerHTML = h || '<p class="done">No requests.</p>';
}
load(); setInterval(load, 1000);
</script></body></html>`))

func (s *Sim) handlePhonePage(w http.ResponseWriter, r *http.Request) {
	m := r.PathValue("msisdn")
	u, ok := s.lookupUser(m)
	name := u.Name()
	if !ok {
		name = "No Vipps MobilePay account"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = phoneTmpl.Execute(w, map[string]string{"MSISDN": m, "Name": name})
}

var landingTmpl = template.Must(template.New("landing").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vipps MobilePay</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}</style></head><body>
{{if .Found}}<h1>{{.Merchant}}</h1><p>{{.Amount}} {{.Currency}} · {{.State}}</p>
{{if eq .State "CREATED"}}<form method="post"><input type="hidden" name="token" value="{{.Token}}">
<label>Phone number <input name="msisdn" value="{{.MSISDN}}"></label>
<button name="answer" value="approve">Pay</button> <button name="answer" value="decline">Cancel</button></form>{{end}}
{{else}}<p>Unknown or expired payment.</p>{{end}}</body></html>`))

// handleLanding stands in for landing.vipps.no for redirect and QR flows.
func (s *Sim) handleLanding(w http.ResponseWriter, r *http.Request) {
	tok := r.URL.Query().Get("token")
	s.Tick()
	s.mu.Lock()
	data := map[string]any{"Found": false}
	for _, p := range s.payments {
		if p.token == tok {
			data = map[string]any{"Found": true, "Merchant": s.cfg.MerchantName, "Amount": float64(p.amount.Value) / 100,
				"Currency": p.amount.Currency, "State": p.state, "Token": tok, "MSISDN": p.msisdn}
		}
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = landingTmpl.Execute(w, data)
}

func (s *Sim) handleLandingAnswer(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	tok := r.PostForm.Get("token")
	s.mu.Lock()
	for _, p := range s.payments {
		if p.token == tok && p.state == StateCreated {
			if r.PostForm.Get("answer") == "approve" {
				if m := r.PostForm.Get("msisdn"); msisdnRe.MatchString(m) {
					p.msisdn = m
				}
				_ = s.approvePaymentLocked(p, false)
			} else {
				_ = s.declinePaymentLocked(p)
			}
		}
	}
	s.mu.Unlock()
	s.notify()
	http.Redirect(w, r, "landing?token="+tok, http.StatusSeeOther)
}
