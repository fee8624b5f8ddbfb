package ldapauth

import (
	"encoding/json"
	"log/slog"
)

// Secret is a password that never shows in logs, fmt output or JSON
// written back out. It decodes from a JSON string.
type Secret string

func (Secret) String() string               { return "[redacted]" }
func (s Secret) GoString() string           { return s.String() }
func (Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// Reveal is the secret itself, for the one call that sends it.
func (s Secret) Reveal() string { return string(s) }

func (s *Secret) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*s = Secret(v)
	return nil
}
