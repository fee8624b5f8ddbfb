package relay

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestReplicaMessagesSealed(t *testing.T) {
	key := make([]byte, masterKeySize)
	rand.Read(key)
	aead, err := replicaAEAD(key)
	if err != nil {
		t.Fatal(err)
	}
	m := hubMessage{Kind: kindCall, Company: "c1", Agent: "a1",
		Request: &agentRequest{Method: "POST", Path: "/relay/v1/ldap/authenticate", Body: []byte(`{"password":"hunter2"}`)}}
	payload, err := sealMessage(aead, "call-1", m)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(payload, []byte("hunter2")) || bytes.Contains(payload, []byte("ldap")) {
		t.Fatalf("payload shows the request: %s", payload)
	}
	t.Run("opens with the key", func(t *testing.T) {
		id, got, err := openMessage(aead, payload)
		if err != nil || id != "call-1" || got.Agent != "a1" || string(got.Request.Body) != `{"password":"hunter2"}` {
			t.Fatalf("open: %q %+v %v", id, got, err)
		}
	})
	t.Run("another master key does not open it", func(t *testing.T) {
		other := make([]byte, masterKeySize)
		rand.Read(other)
		aead2, _ := replicaAEAD(other)
		if _, _, err := openMessage(aead2, payload); !errors.Is(err, errBadEnvelope) {
			t.Fatalf("open with another key: %v", err)
		}
	})
	t.Run("a box moved to another call id does not open", func(t *testing.T) {
		var env envelope
		json.Unmarshal(payload, &env)
		env.ID = "call-2"
		moved, _ := json.Marshal(env)
		if _, _, err := openMessage(aead, moved); !errors.Is(err, errBadEnvelope) {
			t.Fatalf("open under another id: %v", err)
		}
	})
	t.Run("garbage is refused", func(t *testing.T) {
		for _, p := range [][]byte{nil, []byte("{}"), []byte(`{"id":"x","box":"AAAA"}`), []byte("not json")} {
			if _, _, err := openMessage(aead, p); !errors.Is(err, errBadEnvelope) {
				t.Fatalf("open %q: %v", p, err)
			}
		}
	})
}

func TestReplicaMessagesNotReplayed(t *testing.T) {
	h := newHub(nil, newRegistry(), nil, nil, newMetrics())
	now := time.Now()
	tests := []struct {
		name string
		key  string
		sent time.Time
		want bool
	}{
		{"new", "call/1", now, true},
		{"the same again", "call/1", now, false},
		{"its answer", "answer/1", now, true},
		{"too old", "call/2", now.Add(-maxMessageAge - time.Second), false},
		{"from the future", "call/3", now.Add(maxMessageAge + time.Second), false},
		{"slightly behind", "call/4", now.Add(-time.Minute), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.fresh(tc.key, tc.sent, now); got != tc.want {
				t.Fatalf("fresh(%s) = %v, want %v", tc.key, got, tc.want)
			}
		})
	}
	// Forgotten once they could no longer pass the age check anyway.
	later := now.Add(3 * maxMessageAge)
	h.fresh("call/5", later, later)
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.seen["call/1"]; ok || len(h.seen) != 1 {
		t.Fatalf("seen after pruning: %v", h.seen)
	}
}
