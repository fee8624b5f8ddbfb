package agent

import (
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// cachedCard is a card cache entry: the owner and when the relay last
// confirmed it. Entries written before CachedAt existed decode with a zero
// time, which is never fresh.
type cachedCard struct {
	User
	CachedAt time.Time `json:"cached_at,omitzero"`
}

// CacheCardAt remembers the card's owner as the relay confirmed it at t.
func (s *Store) CacheCardAt(card string, u User, t time.Time) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return putJSON(tx.Bucket(bucketCards), cardKey(card), cachedCard{User: u, CachedAt: t})
	})
}

// CachedCardAt returns the cached owner of card and when it was confirmed.
func (s *Store) CachedCardAt(card string) (User, time.Time, bool, error) {
	var c cachedCard
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCards).Get(cardKey(card))
		if v == nil {
			return nil
		}
		ok = true
		return json.Unmarshal(v, &c)
	})
	return c.User, c.CachedAt, ok, err
}

// ForgetCard drops a card the relay no longer knows.
func (s *Store) ForgetCard(card string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCards).Delete(cardKey(card))
	})
}
