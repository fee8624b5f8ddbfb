package demo

import "github.com/edgeprint/edgeprint/samplepdf"

// SamplePDF is a one-page PDF ("edgeprint demo page"), for trying the queue
// without a document at hand.
func SamplePDF() []byte { return samplepdf.Page("edgeprint demo page", 0) }
