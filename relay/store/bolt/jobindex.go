package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/edgeprint/edgeprint/relay/store"
)

// bucketJobOwners indexes jobs by owner, so that a user's jobs (the
// portal's list, an agent's look-up at a badge swipe) are read without
// decoding every job of the company: company/user/job id → nothing.
var bucketJobOwners = []byte("job_owners")

func ownerKey(companyID, userID, jobID string) []byte {
	return []byte(companyID + "/" + userID + "/" + jobID)
}

// ensureJobOwnerIndex builds the index of a file made before it existed.
// It runs at every Open and does nothing once the bucket is there, so it
// needs no schema version of its own.
func ensureJobOwnerIndex(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bucketJobOwners) != nil {
			return nil
		}
		idx, err := tx.CreateBucket(bucketJobOwners)
		if err != nil {
			return fmt.Errorf("store: job owner index: %w", err)
		}
		jobs := tx.Bucket(bucketJobs)
		if jobs == nil {
			return nil
		}
		return jobs.ForEach(func(_, v []byte) error {
			var j store.Job
			if err := json.Unmarshal(v, &j); err != nil {
				return fmt.Errorf("store: decode job: %w", err)
			}
			if j.UserID == "" || checkPart(j.UserID) != nil {
				return nil
			}
			return idx.Put(ownerKey(j.CompanyID, j.UserID, j.ID), nil)
		})
	})
}

// ownerJobs decodes the jobs of userID in companyID through the index.
func ownerJobs(tx *bolt.Tx, companyID, userID string) ([]store.Job, error) {
	out := []store.Job{}
	if checkPart(companyID) != nil || checkPart(userID) != nil {
		return out, nil
	}
	idx, jobs := tx.Bucket(bucketJobOwners), tx.Bucket(bucketJobs)
	prefix := []byte(companyID + "/" + userID + "/")
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		id := string(k[len(prefix):])
		var j store.Job
		if err := get(jobs, []byte(companyID+"/"+id), &j); err != nil {
			return nil, err
		}
		out = append(out, j)
	}
	return out, nil
}
