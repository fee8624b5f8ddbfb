package raw9100

import (
	"fmt"
	"io"
	"strings"
)

// uel is PJL's Universal Exit Language: it resets the printer to PJL mode.
const uel = "\x1b%-12345X"

// Job names what PJL tells the printer about a job.
type Job struct {
	Name   string // shown in the printer's job log
	User   string // shown in the printer's accounting
	Format string // MIME type of the document; picks ENTER LANGUAGE
	Quirks Quirks // the printer model's, from QuirksFor
}

// languages maps document formats to PJL personalities. Formats not listed
// get no ENTER LANGUAGE and the printer auto-detects.
var languages = map[string]string{
	"application/pdf":          "PDF",
	"application/postscript":   "POSTSCRIPT",
	"application/vnd.hp-pcl":   "PCL",
	"application/vnd.hp-pclxl": "PCLXL",
}

// Header is the PJL that goes before the document.
func (j Job) Header() string {
	var b strings.Builder
	b.WriteString(uel)
	b.WriteString("@PJL\r\n")
	if j.Quirks.NamelessJob {
		b.WriteString("@PJL JOB\r\n")
	} else {
		fmt.Fprintf(&b, "@PJL JOB NAME=\"%s\"\r\n", pjlString(j.Name))
	}
	if j.User != "" && !j.Quirks.NoUserName {
		fmt.Fprintf(&b, "@PJL SET USERNAME=\"%s\"\r\n", pjlString(j.User))
	}
	if lang, ok := languages[j.Format]; ok && j.Quirks.enterLanguage(j.Format) {
		fmt.Fprintf(&b, "@PJL ENTER LANGUAGE=%s\r\n", lang)
	}
	return b.String()
}

// Trailer is the PJL that goes after the document.
func (j Job) Trailer() string {
	if j.Quirks.NamelessJob {
		return uel + "@PJL EOJ\r\n" + uel
	}
	return fmt.Sprintf("%s@PJL EOJ NAME=\"%s\"\r\n%s", uel, pjlString(j.Name), uel)
}

// Wrap returns a reader of the document framed by the job's PJL.
func (j Job) Wrap(doc io.Reader) io.Reader {
	return io.MultiReader(strings.NewReader(j.Header()), doc, strings.NewReader(j.Trailer()))
}

// pjlString makes s safe inside a quoted PJL value: printable ASCII only, no
// quotes, at most 80 characters (the PJL limit for names).
func pjlString(s string) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= 80 {
			break
		}
		if r < 0x20 || r > 0x7e || r == '"' {
			r = '_'
		}
		b.WriteRune(r)
	}
	return b.String()
}
