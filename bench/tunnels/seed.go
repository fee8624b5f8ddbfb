package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/edgeprint/edgeprint/certs"
	"github.com/edgeprint/edgeprint/relay/store"
	"github.com/edgeprint/edgeprint/relay/store/bolt"
)

// company is a seeded tenant: one API token, one user, one printer.
type company struct {
	id, code, token, userID, printerID string
}

// agentCreds is a seeded agent's identity, as a registered agent keeps it.
type agentCreds struct {
	id, secret, machine string
	company             int // index into fixture.companies
}

// fixture is a relay data dir written straight into the embedded store
// before any relay starts: registration is rate-limited and argon2-bound,
// and what is measured is the tunnels, not the set-up.
type fixture struct {
	dir         string // relay.db, master.key, relay.crt, relay.key
	fingerprint string
	companies   []company
	agents      []agentCreds
}

// seedDataDir makes the fixture in dir: companies of agents/companies
// agents each.
func seedDataDir(ctx context.Context, dir string, agents, companies int) (*fixture, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	fx := &fixture{dir: dir}
	cert, err := certs.LoadOrCreate("", "", dir, "relay", nil)
	if err != nil {
		return nil, err
	}
	if fx.fingerprint, err = certs.LeafFingerprint(cert); err != nil {
		return nil, err
	}
	// The migration to PostgreSQL wants the master key in place; the relay
	// would make the same file on its first start.
	if err := os.WriteFile(filepath.Join(dir, "master.key"), randomBytes(32), 0o600); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, "relay.db"))
	if err != nil {
		return nil, err
	}
	defer db.Close()
	now := time.Now().UTC()
	for i := range companies {
		c := company{id: randomID(), code: fmt.Sprintf("BENCH%04d", i), token: "ept_" + base64.RawURLEncoding.EncodeToString(randomBytes(32)),
			userID: randomID(), printerID: randomID()}
		steps := []func() error{
			func() error {
				return db.CreateCompany(ctx, store.Company{ID: c.id, Code: c.code, Name: "Bench " + c.code, Retention: store.RetentionImmediate,
					AuthType: store.AuthLocal, Created: now})
			},
			func() error {
				return db.CreateToken(ctx, store.Token{Hash: sha(c.token), CompanyID: c.id, Name: "bench", Created: now})
			},
			func() error {
				return db.CreateUser(ctx, store.User{ID: c.userID, CompanyID: c.id, Email: fmt.Sprintf("user@%s.example", c.code),
					Name: "Bench user", Created: now})
			},
			func() error {
				return db.CreatePrinter(ctx, store.Printer{ID: c.printerID, CompanyID: c.id, Name: "Bench MFP", Address: "192.0.2.10",
					Port: 9100, Protocol: store.ProtocolRaw9100, Enabled: true, Created: now})
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return nil, fmt.Errorf("seed company %s: %w", c.code, err)
			}
		}
		fx.companies = append(fx.companies, c)
	}
	for i := range agents {
		a := agentCreds{id: randomID(), secret: base64.RawURLEncoding.EncodeToString(randomBytes(32)),
			machine: hex.EncodeToString(sha(fmt.Sprintf("bench machine %d", i))), company: i % companies}
		err := db.ImportAgent(ctx, store.Agent{ID: a.id, CompanyID: fx.companies[a.company].id, Name: fmt.Sprintf("agent-%05d", i),
			Version: "bench", MachineHash: a.machine, SecretHash: sha(a.secret), Registered: now})
		if err != nil {
			return nil, fmt.Errorf("seed agent %d: %w", i, err)
		}
		fx.agents = append(fx.agents, a)
	}
	return fx, nil
}

func sha(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func randomID() string { return hex.EncodeToString(randomBytes(16)) }
