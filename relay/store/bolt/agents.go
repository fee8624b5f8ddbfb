package bolt

import (
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

var errEmptyHash = errors.New("store: empty hash")

// CreateActivationCode adds c, keyed by its hash.
func (d *DB) CreateActivationCode(ctx context.Context, c store.ActivationCode) error {
	if len(c.Hash) == 0 {
		return errEmptyHash
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		if tx.Bucket(bucketCompanies).Get([]byte(c.CompanyID)) == nil {
			return store.ErrNotFound
		}
		b := tx.Bucket(bucketCodes)
		if b.Get(c.Hash) != nil {
			return &store.ConflictError{What: "activation code"}
		}
		return put(b, c.Hash, c)
	})
}

// RegisterAgent burns the activation code and creates a in one transaction.
func (d *DB) RegisterAgent(ctx context.Context, codeHash []byte, now time.Time, a store.Agent) error {
	k, err := key(a.CompanyID, a.ID)
	if err != nil {
		return err
	}
	if len(codeHash) == 0 {
		return store.ErrCodeUnusable
	}
	return d.update(ctx, func(tx *bolt.Tx) error {
		codes := tx.Bucket(bucketCodes)
		var c store.ActivationCode
		if err := get(codes, codeHash, &c); errors.Is(err, store.ErrNotFound) {
			return store.ErrCodeUnusable
		} else if err != nil {
			return err
		}
		if c.CompanyID != a.CompanyID || c.Used || !now.Before(c.Expires) {
			return store.ErrCodeUnusable
		}
		c.Used = true
		if err := put(codes, codeHash, c); err != nil {
			return err
		}
		if err := putUnique(tx.Bucket(bucketAgentIndex), []byte(a.ID), []byte(a.CompanyID), "agent id"); err != nil {
			return err
		}
		return put(tx.Bucket(bucketAgents), k, a)
	})
}

// Agent returns the agent with id, whatever its company.
func (d *DB) Agent(ctx context.Context, id string) (store.Agent, error) {
	var a store.Agent
	err := d.view(ctx, func(tx *bolt.Tx) error {
		k, err := agentKey(tx, id)
		if err != nil {
			return err
		}
		return get(tx.Bucket(bucketAgents), k, &a)
	})
	return a, err
}

// Agents lists the agents of companyID.
func (d *DB) Agents(ctx context.Context, companyID string) ([]store.Agent, error) {
	var out []store.Agent
	err := d.view(ctx, func(tx *bolt.Tx) error {
		var err error
		out, err = list[store.Agent](tx.Bucket(bucketAgents), companyID)
		return err
	})
	sortBy(out, func(a store.Agent) string { return a.Name }, func(a store.Agent) string { return a.ID })
	return out, err
}

// TouchAgent records that the agent id was seen at seen.
func (d *DB) TouchAgent(ctx context.Context, id string, seen time.Time) error {
	return d.update(ctx, func(tx *bolt.Tx) error {
		k, err := agentKey(tx, id)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketAgents)
		var a store.Agent
		if err := get(b, k, &a); err != nil {
			return err
		}
		if seen.After(a.LastSeen) {
			a.LastSeen = seen
		}
		return put(b, k, a)
	})
}

// UpdateAgent runs fn on the agent id of companyID and stores the result.
func (d *DB) UpdateAgent(ctx context.Context, companyID, id string, fn func(*store.Agent) error) (store.Agent, error) {
	var a store.Agent
	err := d.update(ctx, func(tx *bolt.Tx) error {
		k, err := agentKey(tx, id)
		if err != nil {
			return err
		}
		b := tx.Bucket(bucketAgents)
		if err := get(b, k, &a); err != nil {
			return err
		}
		if a.CompanyID != companyID {
			return store.ErrNotFound
		}
		keep := a
		if err := fn(&a); err != nil {
			return err
		}
		a.ID, a.CompanyID, a.MachineHash, a.SecretHash = keep.ID, keep.CompanyID, keep.MachineHash, keep.SecretHash
		return put(b, k, a)
	})
	return a, err
}

func agentKey(tx *bolt.Tx, id string) ([]byte, error) {
	if checkPart(id) != nil {
		return nil, store.ErrNotFound
	}
	company := tx.Bucket(bucketAgentIndex).Get([]byte(id))
	if company == nil {
		return nil, store.ErrNotFound
	}
	return []byte(string(company) + "/" + id), nil
}
