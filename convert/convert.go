package convert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// Document formats this package knows.
const (
	PDF        = "application/pdf"
	PostScript = "application/postscript"
	PCLXL      = "application/vnd.hp-pclxl"
	PCL        = "application/vnd.hp-pcl"
)

// DefaultTimeout bounds one conversion: a few hundred pages take seconds,
// a pathological PDF must not hold a release for ever.
const DefaultTimeout = 10 * time.Minute

// maxStderr bounds what is kept of Ghostscript's complaints.
const maxStderr = 2 << 10

var (
	// ErrNoGhostscript is a conversion that needs gs where there is none.
	ErrNoGhostscript = errors.New("convert: Ghostscript (gs) is not installed")
	// ErrUnsupported is a printer that takes neither the document's format
	// nor anything it can be converted to.
	ErrUnsupported = errors.New("convert: no format the printer takes")
	// ErrFailed is Ghostscript failing on the document.
	ErrFailed = errors.New("convert: Ghostscript failed")
)

// targets are the formats PDF converts to, in order of preference:
// PostScript keeps the most of the document, PCL XL is fast and compact,
// PCL 5 is what the oldest lasers take.
var targets = []string{PostScript, PCLXL, PCL}

// Plan says what to send a document as. accepts lists the formats the
// printer takes (from SNMP, IPP or its settings); empty means unknown, and
// the document passes through. It returns the format to send and whether
// a conversion is needed.
func Plan(format string, accepts []string) (string, bool, error) {
	if len(accepts) == 0 || slices.Contains(accepts, format) || format != PDF {
		return format, false, nil
	}
	for _, t := range targets {
		if slices.Contains(accepts, t) {
			return t, true, nil
		}
	}
	return "", false, fmt.Errorf("%w: document is %s, printer takes %s", ErrUnsupported, format, strings.Join(accepts, ", "))
}

// Converter runs Ghostscript.
type Converter struct {
	// GS is the Ghostscript binary; "" finds gs on PATH.
	GS string
	// Dir holds the temporary input and output files: the spool directory,
	// so plaintext stays on the disk and under the permissions the spool
	// has, and is removed as soon as it is sent.
	Dir string
	// Color picks pxlcolor over pxlmono for PCL XL.
	Color bool
	// Timeout bounds one conversion; DefaultTimeout when zero.
	Timeout time.Duration
}

// File is a converted document on disk. Its size is known, as LPR needs.
type File struct {
	Path   string
	Size   int64
	Format string
}

// Open opens the converted document for reading.
func (f *File) Open() (*os.File, error) { return os.Open(f.Path) }

// Remove deletes the converted document.
func (f *File) Remove() error { return os.Remove(f.Path) }

// Available reports whether Ghostscript can be run, as ErrNoGhostscript.
func (c Converter) Available() error {
	_, err := c.gs()
	return err
}

func (c Converter) gs() (string, error) {
	name := c.GS
	if name == "" {
		name = "gs"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%w (%s: %v)", ErrNoGhostscript, name, err)
	}
	return p, nil
}

// Convert writes the PDF read from src to a temporary file, runs
// Ghostscript on it to make target and returns the result. The caller
// removes the file once sent.
func (c Converter) Convert(ctx context.Context, src io.Reader, target string) (_ *File, err error) {
	gs, err := c.gs()
	if err != nil {
		return nil, err
	}
	device, err := c.device(target)
	if err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	in, err := os.CreateTemp(c.Dir, "convert-*.pdf.tmp")
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	defer os.Remove(in.Name())
	_, err = io.Copy(in, src)
	if cerr := in.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("convert: read document: %w", err)
	}
	out, err := os.CreateTemp(c.Dir, "convert-*.out.tmp")
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	out.Close()
	defer func() {
		if err != nil {
			os.Remove(out.Name())
		}
	}()

	// -dSAFER: the PDF is untrusted input. -dNOPAUSE -dBATCH: no prompts.
	// -dPDFSTOPONERROR: without it gs exits 0 on a broken PDF and writes a
	// document with no pages, which would print as blank or garbage and be
	// reported printed.
	cmd := exec.CommandContext(ctx, gs, "-q", "-dSAFER", "-dNOPAUSE", "-dBATCH", "-dPDFSTOPONERROR",
		"-sDEVICE="+device, "-sOutputFile="+out.Name(), "--", in.Name())
	var stderr bytes.Buffer
	out1 := &limitedBuffer{b: &stderr} // one writer: exec then writes from one goroutine at a time
	cmd.Stdout, cmd.Stderr = out1, out1
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrFailed, device, ctx.Err())
		}
		return nil, fmt.Errorf("%w: %s: %v: %s", ErrFailed, device, err, strings.TrimSpace(stderr.String()))
	}
	info, err := os.Stat(out.Name())
	if err != nil {
		return nil, fmt.Errorf("convert: %w", err)
	}
	if info.Size() == 0 {
		return nil, fmt.Errorf("%w: %s made nothing: %s", ErrFailed, device, strings.TrimSpace(stderr.String()))
	}
	return &File{Path: out.Name(), Size: info.Size(), Format: target}, nil
}

func (c Converter) device(target string) (string, error) {
	switch target {
	case PostScript:
		return "ps2write", nil
	case PCLXL:
		if c.Color {
			return "pxlcolor", nil
		}
		return "pxlmono", nil
	case PCL:
		return "ljet4", nil
	}
	return "", fmt.Errorf("%w: cannot convert to %s", ErrUnsupported, target)
}

// limitedBuffer keeps the first maxStderr bytes and drops the rest.
type limitedBuffer struct{ b *bytes.Buffer }

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxStderr - l.b.Len(); room > 0 {
		l.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
