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

func TestSecurePlanWindows(t *testing.T) {
	got := planStrings(SecurePlan(`C:\ProgramData\edgeprint`))
	want := `icacls C:\ProgramData\edgeprint /inheritance:r /grant:r *S-1-5-18:(OI)(CI)F /grant:r *S-1-5-32-544:(OI)(CI)F /T /C /Q`
	if len(got) != 1 || got[0] != want {
		t.Fatalf("plan %q, want %q", got, want)
	}
}
