package raw9100

import (
	"path"
	"slices"
	"strings"
)

// Quirk is what one printer model needs differently in its PJL. Quirks are
// data: add a row, with where the knowledge came from, not an if in code.
type Quirk struct {
	// Model is a path.Match pattern over the lower-cased model name as the
	// printer reports it (SNMP hrDeviceDescr, IPP printer-make-and-model).
	Model string
	// NoEnterLanguage lists formats for which no ENTER LANGUAGE is sent:
	// the printer auto-detects them and rejects the explicit switch.
	NoEnterLanguage []string
	// NamelessJob sends "@PJL JOB" and "@PJL EOJ" without NAME=.
	NamelessJob bool
	// NoUserName leaves out "@PJL SET USERNAME".
	NoUserName bool
	// NoReadBack turns PJL status read-back off: the printer's back channel
	// is absent or unreliable.
	NoReadBack bool
	// Comment says what goes wrong without the quirk; Origin where that
	// was learnt (a capture in testdata/, a vendor document, a ticket).
	Comment, Origin string
}

// Quirks is the merged quirks of every row that matches a model.
type Quirks struct {
	NoEnterLanguage []string
	NamelessJob     bool
	NoUserName      bool
	NoReadBack      bool
}

// quirks is the table. Rows are matched in order and merged.
var quirks = []Quirk{
	{
		Model:           "*pdf direct*",
		NoEnterLanguage: []string{"application/pdf"},
		Comment:         "models sold as \"PDF direct\" take PDF by auto-detection only",
		Origin:          "placeholder pattern from the design brief; unverified on hardware, replace with a capture",
	},
	{
		Model:       "generic pjl-lite*",
		NamelessJob: true,
		NoUserName:  true,
		NoReadBack:  true,
		Comment:     "minimal PJL parsers that print \"@PJL JOB NAME=...\" as text",
		Origin:      "placeholder pattern from the design brief; unverified on hardware, replace with a capture",
	},
}

// QuirksFor returns the quirks for a model; none for an unknown or empty
// model.
func QuirksFor(model string) Quirks {
	return quirksIn(quirks, model)
}

func quirksIn(table []Quirk, model string) Quirks {
	var q Quirks
	model = strings.ToLower(strings.TrimSpace(model))
	if model == "" {
		return q
	}
	for _, row := range table {
		if ok, _ := path.Match(row.Model, model); !ok {
			continue
		}
		q.NoEnterLanguage = append(q.NoEnterLanguage, row.NoEnterLanguage...)
		q.NamelessJob = q.NamelessJob || row.NamelessJob
		q.NoUserName = q.NoUserName || row.NoUserName
		q.NoReadBack = q.NoReadBack || row.NoReadBack
	}
	return q
}

func (q Quirks) enterLanguage(format string) bool {
	return !slices.Contains(q.NoEnterLanguage, format)
}
