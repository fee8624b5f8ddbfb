package relay

import (
	"bytes"
	"testing"
)

// FuzzOpenMessage feeds arbitrary payloads, as a database row or NOTIFY
// could carry them, to the replica message opener: nothing panics, and
// nothing opens that this key did not seal unchanged.
func FuzzOpenMessage(f *testing.F) {
	aead, err := replicaAEAD(bytes.Repeat([]byte{7}, masterKeySize))
	if err != nil {
		f.Fatal(err)
	}
	sealed, err := sealMessage(aead, "call-1", hubMessage{Kind: kindCall, Agent: "a1",
		Request: &agentRequest{Method: "POST", Path: "/relay/v1/release", Body: []byte(`{"job_id":"j1"}`)}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sealed, -1)
	f.Add(sealed, 20)
	f.Add([]byte(`{"id":"x","box":"AAAA"}`), -1)
	f.Add([]byte(`{}`), -1)
	f.Fuzz(func(t *testing.T, payload []byte, flip int) {
		changed := false
		if flip >= 0 && flip < len(payload) {
			payload = bytes.Clone(payload)
			payload[flip] ^= 0x01
			changed = true
		}
		id, m, err := openMessage(aead, payload)
		if err != nil {
			return
		}
		// Only the seed's sealed message opens; a flipped bit may still
		// open when it only touched JSON framing that decodes the same.
		if id != "call-1" || m.Agent != "a1" || m.Request == nil || m.Request.Path != "/relay/v1/release" {
			t.Fatalf("forged message opened (changed %v): id %q, %+v", changed, id, m)
		}
	})
}
