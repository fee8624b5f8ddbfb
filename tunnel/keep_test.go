package tunnel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

func TestBackoffDelay(t *testing.T) {
	const ms = time.Millisecond
	tests := []struct {
		name    string
		b       Backoff
		attempt int
		lo, hi  time.Duration
	}{
		{"defaults, first retry", Backoff{}, 0, 250 * ms, 500 * ms},
		{"defaults, capped", Backoff{}, 10, 2500 * ms, 5000 * ms},
		{"first retry", Backoff{100 * ms, time.Second}, 0, 100 * ms, 200 * ms},
		{"second retry", Backoff{100 * ms, time.Second}, 1, 200 * ms, 400 * ms},
		{"third retry", Backoff{100 * ms, time.Second}, 2, 400 * ms, 800 * ms},
		{"capped", Backoff{100 * ms, time.Second}, 3, 500 * ms, time.Second},
		{"no overflow", Backoff{100 * ms, time.Second}, 1000, 500 * ms, time.Second},
		{"max below min", Backoff{2 * time.Second, time.Second}, 3, 2 * time.Second, 2 * time.Second},
		{"min equals max", Backoff{time.Second, time.Second}, 0, time.Second, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lo, hi := tt.b.limits()
			seen := map[time.Duration]bool{}
			for range 1000 {
				d := tt.b.Delay(tt.attempt)
				if d < tt.lo || d > tt.hi || d < lo || d > hi {
					t.Fatalf("Delay(%d) = %v, want within [%v, %v] and [Min %v, Max %v]", tt.attempt, d, tt.lo, tt.hi, lo, hi)
				}
				seen[d] = true
			}
			if tt.lo < tt.hi && len(seen) < 10 {
				t.Errorf("Delay(%d) took %d distinct values in 1000 draws: no jitter", tt.attempt, len(seen))
			}
		})
	}
}

// recorder is a slog.Handler keeping what was logged.
type recorder struct {
	mu   sync.Mutex
	msgs []string
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *recorder) WithGroup(string) slog.Handler            { return r }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, rec.Level.String()+" "+rec.Message)
	return nil
}

func (r *recorder) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// TestKeepLogsStateChanges runs Keep against dials that keep failing, in
// fake time: it logs when the kind of failure changes and reminds every
// stillFailingEvery, not once per attempt.
func TestKeepLogsStateChanges(t *testing.T) {
	refused := errors.New("dial tcp 10.0.0.1:443: connect: connection refused")
	unauthorized := fmt.Errorf("%w: relay answered 401 Unauthorized", ErrUnauthorized)
	tests := []struct {
		name       string
		errs       func(attempt int) error
		run        time.Duration
		wantDials  int // 0: not checked
		wantLogs   []string
		wantUnauth float64
	}{
		{
			name: "unreachable",
			errs: func(int) error { return refused },
			run:  11 * time.Minute,
			wantLogs: []string{
				"WARN relay unreachable",
				"WARN relay still unreachable",
				"WARN relay still unreachable",
			},
		},
		{
			name:       "unauthorized retries at Max",
			errs:       func(int) error { return unauthorized },
			run:        61 * time.Second,
			wantDials:  13, // at 0, 5s, …, 60s
			wantLogs:   []string{"ERROR relay refused the agent's credentials; the agent must be registered again"},
			wantUnauth: 13,
		},
		{
			name: "kind changes",
			errs: func(n int) error {
				if n >= 3 && n < 6 {
					return unauthorized
				}
				return refused
			},
			run: time.Minute,
			wantLogs: []string{
				"WARN relay unreachable",
				"ERROR relay refused the agent's credentials; the agent must be registered again",
				"WARN relay unreachable",
			},
			wantUnauth: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(t.Context())
				rec := &recorder{}
				reg := prometheus.NewRegistry()
				k := Keeper{Backoff: Backoff{Min: time.Second, Max: 5 * time.Second}, Logger: slog.New(rec), Metrics: NewMetrics(reg)}
				dials := 0
				dial := func(context.Context) (*Session, error) {
					err := tt.errs(dials)
					dials++
					return nil, err
				}
				done := make(chan struct{})
				go func() {
					defer close(done)
					k.Run(ctx, dial, func(context.Context, *Session) { t.Error("run called without a session") })
				}()
				time.Sleep(tt.run)
				cancel()
				<-done

				if tt.wantDials != 0 && dials != tt.wantDials {
					t.Errorf("dialled %d times, want %d", dials, tt.wantDials)
				}
				if dials < 10 {
					t.Errorf("dialled only %d times in %v", dials, tt.run)
				}
				if got := rec.messages(); !slices.Equal(got, tt.wantLogs) {
					t.Errorf("logged %q, want %q", got, tt.wantLogs)
				}
				if got := gather(t, reg, "edgeprint_tunnel_dial_failures_total", "unauthorized"); got != tt.wantUnauth {
					t.Errorf("unauthorized dial failures = %v, want %v", got, tt.wantUnauth)
				}
				if got, want := gather(t, reg, "edgeprint_tunnel_dial_failures_total", "unauthorized")+gather(t, reg, "edgeprint_tunnel_dial_failures_total", "error"), float64(dials); got != want {
					t.Errorf("dial failures = %v, want %v", got, want)
				}
			})
		})
	}
}

// gather reads one metric's value from reg; label is the value of its only
// label, or "" when it has none.
func gather(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label != "" && (len(m.GetLabel()) != 1 || m.GetLabel()[0].GetValue() != label) {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no metric %s{%s}", name, label)
	return 0
}

// TestKeepReconnects drops the session from the relay's side and sees Keep
// dial again and call run with the new session.
func TestKeepReconnects(t *testing.T) {
	r := newTestRelay(t, testHandler("relay"))
	ctx, cancel := context.WithCancel(t.Context())
	reg := prometheus.NewRegistry()
	rec := &recorder{}
	k := Keeper{Backoff: Backoff{Min: time.Millisecond, Max: 10 * time.Millisecond}, Logger: slog.New(rec), Metrics: NewMetrics(reg)}

	runs := make(chan *Session)
	run := func(ctx context.Context, s *Session) {
		select {
		case runs <- s:
		case <-ctx.Done():
			return
		}
		select {
		case <-s.Done():
		case <-ctx.Done():
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		k.Run(ctx, r.dial, run)
	}()

	first := <-runs
	if got := gather(t, reg, "edgeprint_tunnel_connected", ""); got != 1 {
		t.Errorf("connected = %v while up, want 1", got)
	}
	(<-r.sessions).Close() // the relay drops the agent
	second := <-runs
	if second == first {
		t.Fatal("run got the same session twice")
	}
	if err := first.Err(); !errors.Is(err, ErrPeerClosed) {
		t.Errorf("first session ended with %v, want ErrPeerClosed", err)
	}
	// The new session works.
	if got, err := call(t.Context(), second.Client(), "GET", "/hello", nil); err != nil || got != "relay" {
		t.Errorf("request on the new session: %q, %v", got, err)
	}

	cancel()
	<-done
	select {
	case <-second.Done():
	default:
		t.Error("Keep returned without closing its session")
	}
	for name, want := range map[string]float64{
		"edgeprint_tunnel_connects_total":    2,
		"edgeprint_tunnel_disconnects_total": 2,
		"edgeprint_tunnel_connected":         0,
	} {
		if got := gather(t, reg, name, ""); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	want := []string{"INFO tunnel connected", "WARN tunnel disconnected", "INFO tunnel connected"}
	if got := rec.messages(); !slices.Equal(got, want) {
		t.Errorf("logged %q, want %q", got, want)
	}
}
