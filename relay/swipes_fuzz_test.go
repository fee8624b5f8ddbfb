package relay

import (
	"encoding/json"
	"testing"

	"github.com/edgeprint/edgeprint/relay/store"
)

// FuzzReaderOptions: whatever an admin posts as a reader's badge-release
// options is refused with a 400 or comes back valid, never a panic.
func FuzzReaderOptions(f *testing.F) {
	f.Add(`{"mode":"server","conversion":[{"op":"dec_to_hex"},{"op":"reverse_bytes"}],"release":"oldest","feedback":true}`, "rfideas-241")
	f.Add(`{"mode":"client","port":7}`, "elatec-tcpconv")
	f.Add(`{"conversion":[{"op":"regex","pattern":"(("}]}`, "nope")
	f.Fuzz(func(t *testing.T, body, model string) {
		var o store.ReaderOptions
		if json.Unmarshal([]byte(body), &o) != nil {
			return
		}
		got, err := readerOptions(model, o)
		if err != nil {
			return
		}
		if got.Mode != store.ReaderClient && got.Mode != store.ReaderServer || got.Release != store.ReleaseAll && got.Release != store.ReleaseOldest {
			t.Fatalf("accepted %+v", got)
		}
		if got.Mode == store.ReaderClient && got.Port != 0 || got.Port < 0 || got.Port > 65535 {
			t.Fatalf("accepted port %d in mode %s", got.Port, got.Mode)
		}
	})
}

// FuzzMaskCard: a masked card never shows more than four characters of
// what it masks.
func FuzzMaskCard(f *testing.F) {
	f.Add("04A1B2C3")
	f.Add("****C3D4")
	f.Add("")
	f.Fuzz(func(t *testing.T, card string) {
		m := maskCard(card)
		if len(m) < 4 || m[:4] != "****" || len(m) > 8 {
			t.Fatalf("maskCard(%q) = %q", card, m)
		}
	})
}
