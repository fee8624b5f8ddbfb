package lpr

import (
	"fmt"
	"strings"
)

// Job names what the control file tells the server about a job.
type Job struct {
	// Number is the RFC 1179 job number, 0–999; it names the files.
	Number int
	// Host is the sending host's name (H line, and in the file names).
	Host string
	// User is the job's owner (P line): what the queue's accounting shows.
	User string
	// Name is the job name (J line) and the source file name (N line).
	Name string
	// Format is the document's MIME type; it picks the data file's print
	// command (see dataCommands).
	Format string
	// Banner asks for a banner page naming User (L line). Off by default:
	// most sites do not want a burst page per job.
	Banner bool
}

// dataCommands maps document formats to the control-file command that
// prints the data file. RFC 1179 'l' prints the file as it is, control
// characters included: right for PDF, PostScript, PCL and anything a
// printer interprets itself. 'f' ("formatted" text) lets the server filter
// the file and some servers (LPRng) refuse non-printable bytes in it, so it
// is used for plain text only. 'o' (PostScript) is avoided: servers run it
// through filters that may re-render the job.
var dataCommands = map[string]byte{
	"text/plain": 'f',
}

// defaultDataCommand is for every format not in dataCommands.
const defaultDataCommand = 'l'

// Limits from RFC 1179 section 7 and common server practice.
const (
	maxHostLen = 31
	maxUserLen = 31
	maxJobLen  = 99
	maxNameLen = 131
)

// fileName is the RFC 1179 name of a job's file: prefix ("cfA" or "dfA"),
// a three-digit job number and the host.
func (j Job) fileName(prefix string) string {
	return fmt.Sprintf("%s%03d%s", prefix, j.Number%1000, fileHost(j.Host))
}

// ControlFile returns the control file for a job whose one data file is
// named dataFile.
func (j Job) ControlFile(dataFile string) []byte {
	var b strings.Builder
	line := func(cmd byte, v string) {
		b.WriteByte(cmd)
		b.WriteString(v)
		b.WriteByte('\n')
	}
	user := field(j.User, maxUserLen)
	if user == "" {
		user = "edgeprint"
	}
	line('H', field(j.Host, maxHostLen))
	line('P', user)
	if name := field(j.Name, maxJobLen); name != "" {
		line('J', name)
	}
	if j.Banner {
		line('C', field(j.Host, maxHostLen))
		line('L', user)
	}
	cmd, ok := dataCommands[j.Format]
	if !ok {
		cmd = defaultDataCommand
	}
	line(cmd, dataFile)
	line('U', dataFile)
	if name := field(j.Name, maxNameLen); name != "" {
		line('N', name)
	}
	return []byte(b.String())
}

// field makes a control-file value: printable ASCII, no spaces at either
// end, at most n bytes. Control files are line based; a newline in a job
// name would inject commands.
func field(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			break
		}
		if r < 0x20 || r > 0x7e {
			r = '_'
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// fileHost is the host part of a file name: letters, digits, '-' and '.'
// only (servers build paths from it), "localhost" if nothing is left.
func fileHost(h string) string {
	var b strings.Builder
	for _, r := range h {
		if b.Len() >= maxHostLen {
			break
		}
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "localhost"
	}
	return b.String()
}

// validQueue reports whether a queue name can go on the wire: RFC 1179
// ends it with a newline and servers split on white space.
func validQueue(q string) bool {
	if q == "" || len(q) > 255 {
		return false
	}
	for _, c := range []byte(q) {
		if c <= ' ' || c == 0x7f {
			return false
		}
	}
	return true
}
