package installer

import "testing"

func TestStateString(t *testing.T) {
	tests := []struct {
		s    State
		want string
	}{
		{State{}, "not installed"},
		{State{Installed: true, Detail: "no systemd"}, "installed, not running (no systemd)"},
		{State{Installed: true, Running: true}, "running"},
	}
	for _, tc := range tests {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}
