package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestHeldJobPath prints with ipptool as the user, swipes the user's badge at
// the reader and finds the document, byte for byte, at the printer.
func TestHeldJobPath(t *testing.T) {
	ipptool := lookIPPTool(t)
	for _, restart := range []bool{false, true} {
		name := "straight"
		if restart {
			name = "relay restarted between print and swipe"
		}
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			d, err := Start(ctx, testOptions(t))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { cancel(); d.Wait() }()
			info := d.Info
			waitFor(t, ctx, "agent connected to the relay", func() bool { return d.AgentStatus().RelayConnected })

			out, err := exec.CommandContext(ctx, ipptool, "-tv", "-f", info.SamplePDF,
				info.UserURI(info.IPPURI), "print-job.test").CombinedOutput()
			if err != nil {
				t.Fatalf("ipptool print-job.test failed: %v\n%s", err, out)
			}
			api := testAPI{t: t, info: info}
			waitFor(t, ctx, "job held at the relay", func() bool { return len(api.jobs(ctx, "held")) == 1 })

			if restart {
				if err := d.RestartRelay(ctx); err != nil {
					t.Fatal(err)
				}
				waitFor(t, ctx, "agent reconnected", func() bool { return d.AgentStatus().RelayConnected })
			}

			swipe(t, info.Reader.ConnectTo, info.User.Card)
			path, err := d.Printer().Wait(ctx)
			if err != nil {
				t.Fatal("no job at the printer:", err)
			}
			got, _ := os.ReadFile(path)
			want, _ := os.ReadFile(info.SamplePDF)
			if i := bytes.Index(got, want); i < 0 || !bytes.HasPrefix(got, []byte("\x1b%-12345X@PJL")) {
				t.Fatalf("printer got %d bytes without the document framed in PJL", len(got))
			}
			waitFor(t, ctx, "job printed at the relay", func() bool { return len(api.jobs(ctx, "printed")) == 1 })
			if st := d.AgentStatus(); st.HeldJobs != 0 {
				t.Fatalf("agent still holds %d jobs after printing", st.HeldJobs)
			}
		})
	}
}

// TestUnknownCardPrintsNothing: a badge nobody owns releases nothing, and
// the reader connection keeps working for the next swipe.
func TestUnknownCardPrintsNothing(t *testing.T) {
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
	if out, err := exec.CommandContext(ctx, ipptool, "-t", "-f", info.SamplePDF,
		info.UserURI(info.IPPURI), "print-job.test").CombinedOutput(); err != nil {
		t.Fatalf("ipptool: %v\n%s", err, out)
	}
	c, err := net.Dial("tcp", info.Reader.ConnectTo)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "99999999\r\n%s\r\n%s\r\n", bytes.Repeat([]byte("7"), 4000), info.User.Card)
	if _, err := d.Printer().Wait(ctx); err != nil {
		t.Fatal("the valid swipe after junk printed nothing:", err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer wcancel()
	if _, err := d.Printer().Wait(wctx); err == nil {
		t.Fatal("a second job came out: the unknown card or the junk line printed something")
	}
}

func lookIPPTool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ipptool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ipptool is required in CI (Debian cups-ipp-utils)")
		}
		t.Skip("ipptool not installed (Debian cups-ipp-utils)")
	}
	return p
}

func swipe(t *testing.T, addr, card string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := fmt.Fprintf(c, "%s\r\n", card); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, ctx context.Context, what string, ok func() bool) {
	t.Helper()
	for !ok() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type testAPI struct {
	t    *testing.T
	info Info
}

type apiJob struct {
	ID, Name, User, State string
	Size                  int64
}

func (a testAPI) jobs(ctx context.Context, state string) []apiJob {
	q := url.Values{"user": {a.info.User.Email}, "state": {state}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, a.info.RelayURL+"/api/v1/jobs?"+q.Encode(), nil)
	req.Header.Set("Authorization", "Bearer "+a.info.APIToken)
	resp, err := pinnedClient(a.info.RelayFingerprint).Do(req)
	if err != nil {
		return nil // the relay may be restarting
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var jobs []apiJob
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &jobs) != nil {
		a.t.Logf("jobs API: %s %s", resp.Status, body)
		return nil
	}
	return jobs
}

// testOptions logs to the test log at debug level when EDGEPRINT_TEST_LOG is
// set, and stays quiet otherwise.
func testOptions(t *testing.T) Options {
	o := Options{Dir: t.TempDir(), Ephemeral: true}
	if os.Getenv("EDGEPRINT_TEST_LOG") != "" {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return o
}
