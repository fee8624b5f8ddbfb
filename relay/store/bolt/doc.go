// Package bolt is the relay's embedded store: one bbolt file holding every
// record as JSON, keyed "companyID/id" so a company's records are one prefix
// scan and nothing else. Unique keys (company codes, emails and cards per
// company, agent ids) have index buckets updated in the same transaction as
// the record.
//
// The schema version lives in the meta bucket; Open applies the migrations
// the file lacks. A file written by a newer relay is refused rather than
// misread. The file is locked while open: a second process (an operator
// command while the relay runs) fails fast with store.ErrInUse.
package bolt
