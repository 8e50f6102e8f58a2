package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kasse-pos/kasse/app/internal/drive"
	"github.com/kasse-pos/kasse/flow"
	"github.com/kasse-pos/kasse/vipps"
	"github.com/kasse-pos/kasse/vipps/sim"
)

// Secrets distinctive enough that finding one anywhere is never a coincidence.
const (
	secClientSecret = "sec-client-7f3a9c2e1b5d"
	secSubKey       = "sec-subkey-4d8e2a6f0c9b"
	secWebhook      = "sec-webhook-9b1c5e7a3d2f"
)

// securityRig is a till against a simulator of its own (started before
// the till, so the till's own sockets can be told apart) with a full
// member sale done.
type securityRig struct {
	till   *Till
	sim    *sim.Sim
	log    *syncBuffer
	dir    string
	before map[string]bool // listening sockets before the till started
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSecurityRig(t *testing.T, listen string, sales int, enrol float64) *securityRig {
	t.Helper()
	sc := sim.DefaultConfig()
	sc.ClientSecret, sc.SubscriptionKey, sc.WebhookSecret = secClientSecret, secSubKey, secWebhook
	sc.Auto, sc.AutoDelay = "approve", 10*time.Millisecond
	sc.AuthorizingWindow = 0
	sc.HTTPWebhooks = true
	s, err := sim.New(sc)
	if err != nil {
		t.Fatal(err)
	}
	url, stop, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)

	r := &securityRig{sim: s, log: &syncBuffer{}, dir: t.TempDir(), before: listeningSockets(t)}
	cfg := DefaultConfig()
	cfg.DataDir = r.dir
	cfg.Vipps.BaseURL, cfg.Vipps.ClientID, cfg.Vipps.ClientSecret, cfg.Vipps.SubscriptionKey = url, sc.ClientID, secClientSecret, secSubKey
	cfg.Webhook.Listen = listen
	log := slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	r.till, err = Start(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.till.Close)
	if sales > 0 {
		st, err := drive.Run(ctx, r.till, drive.Options{Sales: sales, Seed: 3, Customers: 3, EnrolShare: enrol,
			SaleTimeout: 20 * time.Second, Drain: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if st.Paid != sales || st.Unsettled != 0 {
			t.Fatalf("driver: %+v, want %d paid and settled sales", st, sales)
		}
	}
	return r
}

// A delivery that is not exactly what Vipps signed is refused with 401 and
// counted by kind; a byte-identical second delivery is counted as a replay
// and changes nothing.
func TestBadWebhooksAreRejectedAndCounted(t *testing.T) {
	r := newSecurityRig(t, "127.0.0.1:0", 1, 0)
	l := r.till.webhooks
	ctx := context.Background()
	sales, err := r.till.checkout.RecentSales(ctx, 1)
	if err != nil || len(sales) != 1 {
		t.Fatalf("recent sales: %v %v", sales, err)
	}
	sale, err := r.till.db.Sale(ctx, sales[0].SaleID)
	if err != nil {
		t.Fatal(err)
	}
	ref := sale.Payment.Reference
	before := l.Stats()
	now := time.Now()
	body := func(name, psp string) []byte {
		b, _ := json.Marshal(vipps.PaymentEvent{MSN: "123456", Reference: ref, PSPReference: psp, Name: name,
			Amount: vipps.Amount{Currency: "NOK", Value: int64(sale.Total())}, Timestamp: now, Success: true})
		return b
	}
	send := func(h http.Header, b []byte) int { return postHook(t, l.registeredURL, h, b) }
	sign := func(secret string, b []byte, at time.Time) http.Header {
		h, err := vipps.SignWebhook(l.registeredURL, secret, b, at)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}

	// Someone without the secret tries to cancel a paid sale.
	forged := body("CANCELLED", "forged")
	if code := send(sign("guessed-secret", forged, now), forged); code != http.StatusUnauthorized {
		t.Errorf("forged delivery: HTTP %d, want 401", code)
	}
	// A genuine delivery whose body was changed on the way.
	genuine := body("AUTHORIZED", "tampered")
	changed := bytes.Replace(genuine, []byte(`"AUTHORIZED"`), []byte(`"CANCELLED"`), 1)
	if code := send(sign(secWebhook, genuine, now), changed); code != http.StatusUnauthorized {
		t.Errorf("tampered delivery: HTTP %d, want 401", code)
	}
	// A genuine delivery recorded long ago and sent again now.
	old := body("AUTHORIZED", "stale")
	if code := send(sign(secWebhook, old, now.Add(-time.Hour)), old); code != http.StatusUnauthorized {
		t.Errorf("stale delivery: HTTP %d, want 401", code)
	}
	// Unsigned.
	if code := send(http.Header{"Content-Type": {"application/json"}}, forged); code != http.StatusUnauthorized {
		t.Errorf("unsigned delivery: HTTP %d, want 401", code)
	}
	// The same genuine delivery twice.
	again := body("AUTHORIZED", "replayed")
	h := sign(secWebhook, again, now)
	if c1, c2 := send(h, again), send(h, again); c1 != http.StatusOK || c2 != http.StatusOK {
		t.Errorf("genuine delivery and its replay: HTTP %d and %d, want 200 and 200", c1, c2)
	}

	got := l.Stats()
	rejected := func(s vipps.WebhookStats) int64 { return s.Forged + s.Tampered + s.Stale }
	if got.Forged < before.Forged+1 || got.Tampered != before.Tampered+1 || got.Stale < before.Stale+1 ||
		rejected(got) != rejected(before)+4 || got.Replayed != before.Replayed+1 || got.Accepted != before.Accepted+1 {
		t.Errorf("listener counters went from %+v to %+v; want 4 more rejected (forged, tampered, stale and the "+
			"unsigned one), 1 replayed, 1 accepted", before, got)
	}
	after, err := r.till.db.Sale(ctx, sale.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Stage != flow.StagePaid || after.Payment.Status != flow.PaymentAuthorized {
		t.Errorf("after bad webhooks the sale is %s/%s, want paid/authorized", after.Stage, after.Payment.Status)
	}
}

// After a member sale with enrolment, capture and receipt, no secret and
// no access or id token is in the log, in any table of the database, or
// anywhere in the database files.
func TestSecretsNeverReachLogsOrDatabase(t *testing.T) {
	r := newSecurityRig(t, "127.0.0.1:0", 1, 1)
	ctx := context.Background()
	secrets := map[string]string{"client secret": secClientSecret, "subscription key": secSubKey, "webhook secret": secWebhook}
	// The tokens the simulator handed out are JWTs; none may be kept.
	jwt := regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+`)
	bearer := regexp.MustCompile(`(?i)bearer [A-Za-z0-9._-]{16,}`)
	check := func(where, text string) {
		for name, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains the %s", where, name)
			}
		}
		if m := jwt.FindString(text); m != "" {
			t.Errorf("%s contains a token: %.24s…", where, m)
		}
		if m := bearer.FindString(text); m != "" {
			t.Errorf("%s contains an Authorization header: %.20s…", where, m)
		}
	}
	logText := r.log.String()
	if !strings.Contains(logText, "settlement: job done") {
		t.Fatalf("the log does not show a settled sale; the scan would prove nothing:\n%s", logText)
	}
	check("the log", logText)

	// Every text column of every table, read through SQL.
	g := r.till.db.Gorm().WithContext(ctx)
	var tables []string
	if err := g.Raw("SELECT name FROM sqlite_master WHERE type = 'table'").Scan(&tables).Error; err != nil {
		t.Fatal(err)
	}
	rowsSeen := 0
	for _, table := range tables {
		rows, err := g.Raw(`SELECT * FROM "` + table + `"`).Rows()
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			rowsSeen++
			for i, v := range vals {
				check(fmt.Sprintf("table %s column %s", table, cols[i]), fmt.Sprint(textOf(v)))
			}
		}
		rows.Close()
	}
	if rowsSeen < 10 {
		t.Fatalf("only %d rows in the database: the sale did not happen", rowsSeen)
	}
	// And the raw files, for anything SQL does not show (free pages, WAL).
	files, _ := filepath.Glob(filepath.Join(r.dir, "*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err == nil {
			check("file "+filepath.Base(f), string(b))
		}
	}
}

func textOf(v any) any {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v
}

// The webhook listener binds exactly the configured address, and without
// one the till listens nowhere.
func TestWebhookListenerBindsOnlyWhereConfigured(t *testing.T) {
	port := freeTCPPort(t)
	want := fmt.Sprintf("127.0.0.1:%d", port)
	r := newSecurityRig(t, want, 0, 0)
	after := listeningSockets(t)
	var opened []string
	for s := range after {
		if !r.before[s] {
			opened = append(opened, s)
		}
	}
	if len(opened) != 1 || opened[0] != want {
		t.Errorf("the till opened listening sockets %v, want exactly [%s]", opened, want)
	}
	r.till.Close()
	for s := range listeningSockets(t) {
		if s == want {
			t.Errorf("%s still listening after Close", want)
		}
	}

	quiet := newSecurityRig(t, "", 0, 0)
	for s := range listeningSockets(t) {
		if !quiet.before[s] {
			t.Errorf("with no webhook address configured the till listens on %s", s)
		}
	}
}

func freeTCPPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// listeningSockets are this process's TCP sockets in LISTEN state, as
// "address:port", read from the kernel (/proc/net/tcp{,6} by inode).
func listeningSockets(t *testing.T) map[string]bool {
	t.Helper()
	ours := map[string]bool{}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc: ", err)
	}
	for _, fd := range fds {
		link, err := os.Readlink("/proc/self/fd/" + fd.Name())
		if inode, ok := strings.CutPrefix(link, "socket:["); err == nil && ok {
			ours[strings.TrimSuffix(inode, "]")] = true
		}
	}
	out := map[string]bool{}
	for _, file := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" || !ours[fields[9]] {
				continue
			}
			out[procAddr(fields[1])] = true
		}
		f.Close()
	}
	return out
}

// procAddr turns /proc/net/tcp's "0100007F:1F90" into "127.0.0.1:8080".
func procAddr(s string) string {
	hexIP, hexPort, _ := strings.Cut(s, ":")
	port, _ := strconv.ParseUint(hexPort, 16, 16)
	b, _ := hex.DecodeString(hexIP)
	// The kernel writes the address as 32-bit words in host (little-endian) order.
	for i := 0; i+4 <= len(b); i += 4 {
		b[i], b[i+1], b[i+2], b[i+3] = b[i+3], b[i+2], b[i+1], b[i]
	}
	return net.JoinHostPort(net.IP(b).String(), strconv.FormatUint(port, 10))
}
