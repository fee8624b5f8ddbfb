package demo

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestClaimUnknownBadge: the user swipes a badge nobody owns (nothing
// prints, the relay audits it as unknown), claims it in the console signed
// in with their password, and the same badge then releases their job. The
// audit shows both swipes with the card masked.
func TestClaimUnknownBadge(t *testing.T) {
	ipptool := lookIPPTool(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	d, err := Start(ctx, testOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); d.Wait() }()
	info := d.Info
	waitFor(t, ctx, "agent connected", func() bool { return d.AgentStatus().RelayConnected })
	api := testAPI{t: t, info: info}

	// The job first: once the relay holds it, the agent has fetched its
	// configuration (it uploads only after that), so it knows the reader.
	out, err := exec.CommandContext(ctx, ipptool, "-t", "-f", info.SamplePDF, info.UserURI(info.IPPURI), "print-job.test").CombinedOutput()
	if err != nil {
		t.Fatalf("ipptool: %v\n%s", err, out)
	}
	waitFor(t, ctx, "job held", func() bool { return len(api.jobs(ctx, "held")) == 1 })

	const badge = "04A1B2C3D4"
	swiped := time.Now()
	swipe(t, info.Reader.ConnectTo, strings.ToLower(badge))
	waitFor(t, ctx, "unknown swipe audited", func() bool {
		recs := api.audit(ctx)
		return len(recs) == 1 && recs[0]["outcome"] == "unknown" && recs[0]["actor"] == "****C3D4"
	})

	// The user signs in and claims "the badge I just swiped at this reader".
	jar, _ := cookiejar.New(nil)
	browser := pinnedClient(info.RelayFingerprint)
	browser.Jar = jar
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := func(path string, v url.Values) (int, string) {
		resp, err := browser.PostForm(info.RelayURL+path, v)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	csrf := func(path string) string {
		resp, err := browser.Get(info.RelayURL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no form on %s: %s", path, b)
		}
		return string(m[1])
	}
	if status, body := form("/login", url.Values{"csrf": {csrf("/login")}, "company": {info.Company},
		"email": {info.User.Email}, "password": {info.User.Password}}); status != http.StatusSeeOther {
		t.Fatalf("login: %d %s", status, body)
	}
	readerID := api.readerID(ctx, info.Reader.Address)
	if status, body := form("/cards/claim", url.Values{"csrf": {csrf("/cards/claim")}, "reader_id": {readerID}}); status != 200 || !strings.Contains(body, "****C3D4") {
		t.Fatalf("claim: %d %s", status, body)
	}

	// Past the debounce window, the same badge releases the job.
	time.Sleep(time.Until(swiped.Add(3*time.Second + 100*time.Millisecond)))
	swipe(t, info.Reader.ConnectTo, badge)
	if _, err := d.Printer().Wait(ctx); err != nil {
		t.Fatal("the claimed badge printed nothing:", err)
	}
	waitFor(t, ctx, "released swipe audited", func() bool {
		recs := api.audit(ctx)
		return len(recs) == 2 && recs[0]["outcome"] == "released" && recs[0]["actor"] == "****C3D4"
	})
}

func (a testAPI) get(ctx context.Context, path string, out any) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.info.RelayURL+path, nil)
	req.Header.Set("Authorization", "Bearer "+a.info.APIToken)
	resp, err := pinnedClient(a.info.RelayFingerprint).Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && json.Unmarshal(body, out) == nil
}

func (a testAPI) audit(ctx context.Context) []map[string]any {
	var recs []map[string]any
	a.get(ctx, "/api/v1/audit/events?kind=swipe", &recs)
	return recs
}

func (a testAPI) readerID(ctx context.Context, addr string) string {
	var rs []struct{ ID, Address string }
	a.get(ctx, "/api/v1/readers", &rs)
	for _, r := range rs {
		if r.Address == addr {
			return r.ID
		}
	}
	a.t.Fatalf("no reader at %s", addr)
	return ""
}
