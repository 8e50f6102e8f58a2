package app

import (
	"bufio"
	"context"
	"flag"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSimFlagsBecomeSimulatorConfig(t *testing.T) {
	c := DefaultSimConfig()
	fs := flag.NewFlagSet("sim", flag.ContinueOnError)
	c.RegisterFlags(fs)
	err := fs.Parse([]string{"--currency", "DKK", "--unknown", "4511110000, 4522223333", "--seed", "7",
		"--faults", `{"endpoints":{"epayment.capture":{"error5xxAfter":0.2}}}`,
		"--fault-latency", "10ms-20ms", "--fault-429", "0.1", "--webhook-duplicate", "0.5", "--mt-checkin-500", "--rate-mutating", "-1", "--http-webhooks"})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := c.simConfig(io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	all := sc.Faults.Endpoints["*"]
	if sc.Currency != "DKK" || len(sc.UnknownNumbers) != 2 || sc.UnknownNumbers[1] != "4522223333" || !sc.CheckInMT ||
		sc.Faults.Seed != 7 || sc.Faults.Endpoints["epayment.capture"].Error5xxAfter != 0.2 ||
		time.Duration(all.Latency) != 10*time.Millisecond || time.Duration(all.LatencyMax) != 20*time.Millisecond ||
		all.TooMany != 0.1 || sc.Faults.Webhooks.Duplicate != 0.5 || sc.MutatingPerMinute != -1 || sc.ReadsPerMinute != 0 || !sc.HTTPWebhooks {
		t.Errorf("config %+v", sc)
	}
	c.Latency = "soon"
	if _, err := c.simConfig(io.Discard); err == nil {
		t.Error("a bad latency was accepted")
	}
}

func TestRunSimPrintsWhereItListens(t *testing.T) {
	c := DefaultSimConfig()
	c.Addr = "127.0.0.1:0"
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- RunSim(ctx, c, pw); pw.Close() }()

	var base string
	sc := bufio.NewScanner(pr)
	var printed strings.Builder
	for sc.Scan() {
		printed.WriteString(sc.Text() + "\n")
		if u, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "base URL"); ok {
			base = strings.TrimSpace(u)
		}
		if strings.HasPrefix(sc.Text(), "Stop with") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	for _, want := range []string{c.ClientID, c.ClientSecret, c.SubscriptionKey, c.MSN} {
		if !strings.Contains(printed.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, printed.String())
		}
	}
	req, _ := http.NewRequest("POST", base+"/accesstoken/get", nil)
	req.Header.Set("client_id", c.ClientID)
	req.Header.Set("client_secret", c.ClientSecret)
	req.Header.Set("Ocp-Apim-Subscription-Key", c.SubscriptionKey)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("base URL %q: %v", base, err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("token with the printed credentials: %d", res.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("RunSim after cancel: %v", err)
	}
}
