package ipp

import (
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/OpenPrinting/goipp"
)

// makeAndModel is printer-make-and-model of every queue.
const makeAndModel = "edgeprint Secure Print"

// documentFormats is document-format-supported, lower case. The queue
// stores documents as sent; the printer that releases them interprets them.
var documentFormats = []string{
	FormatPDF,
	"application/postscript",
	"application/vnd.hp-pcl",
	FormatJPEG,
	FormatPWGRaster,
	FormatURF,
	formatOctets,
}

// compressions is compression-supported: documents are inflated as they
// arrive and stored as the client sent them before compressing.
var compressions = []string{"deflate", "gzip", "none"}

// mediaSizes is x-dimension and y-dimension, in hundredths of a
// millimetre, of the media Config.DefaultMedia may name.
var mediaSizes = map[string][2]int{
	MediaA4:     {21000, 29700},
	MediaLetter: {21590, 27940},
}

// holdUntil is job-hold-until of every job: held until its owner releases it.
const holdUntil = "indefinite"

// attrGroup is the requested-attributes group keyword that selects an
// attribute, besides its name and "all".
type attrGroup string

const (
	groupPrinterDescription attrGroup = "printer-description"
	groupJobTemplate        attrGroup = "job-template"
	groupJobDescription     attrGroup = "job-description"
)

type groupedAttr struct {
	group attrGroup
	attr  goipp.Attribute
}

// selectAttrs picks what requested-attributes asks for: everything for
// nil or "all", the members of a group keyword, or attributes by name.
// Names this server does not have are ignored (RFC 8011 4.2.5.1).
func selectAttrs(all []groupedAttr, requested []string) goipp.Attributes {
	want := make(map[string]bool, len(requested))
	for _, r := range requested {
		want[r] = true
	}
	out := make(goipp.Attributes, 0, len(all))
	for _, a := range all {
		if requested == nil || want["all"] || want[string(a.group)] || want[a.attr.Name] {
			out = append(out, a.attr)
		}
	}
	return out
}

// printerAttrs is everything Get-Printer-Attributes can answer, for the
// connection rq came over (URIs name the host and scheme the client used).
func (s *Server) printerAttrs(rq *request) []groupedAttr {
	r := rq.http
	var (
		attrs    []groupedAttr
		desc     = func(a goipp.Attribute) { attrs = append(attrs, groupedAttr{groupPrinterDescription, a}) }
		template = func(a goipp.Attribute) { attrs = append(attrs, groupedAttr{groupJobTemplate, a}) }
		str      = func(v string) goipp.Value { return goipp.String(v) }
		keywords = func(name string, vs ...string) goipp.Attribute { return makeAttr(name, goipp.TagKeyword, vs, str) }
		moreInfo = "http://" + hostOf(r) + "/"
		schemes  = []string{"ipp"}
		security = []string{"none"}
	)
	if rq.secure {
		schemes, security, moreInfo = []string{"ipps", "ipp"}, []string{"tls", "none"}, "https://"+hostOf(r)+"/"
	} else if tlsAvailable(r) {
		schemes, security = []string{"ipp", "ipps"}, []string{"none", "tls"}
	}
	uris := make([]string, len(schemes))
	for i, scheme := range schemes {
		uris[i] = scheme + "://" + hostOf(r) + queuePath
	}
	authn := slices.Repeat([]string{"basic"}, len(schemes))

	desc(makeAttr("printer-uri-supported", goipp.TagURI, uris, str))
	desc(keywords("uri-security-supported", security...))
	desc(keywords("uri-authentication-supported", authn...))
	desc(goipp.MakeAttribute("printer-name", goipp.TagName, goipp.String(s.cfg.Name)))
	desc(goipp.MakeAttribute("printer-info", goipp.TagText, goipp.String(s.cfg.Name)))
	desc(goipp.MakeAttribute("printer-location", goipp.TagText, goipp.String(s.cfg.Location)))
	desc(goipp.MakeAttribute("printer-more-info", goipp.TagURI, goipp.String(moreInfo)))
	desc(goipp.MakeAttribute("printer-make-and-model", goipp.TagText, goipp.String(makeAndModel)))
	desc(goipp.MakeAttribute("printer-uuid", goipp.TagURI, goipp.String("urn:uuid:"+strings.ToLower(s.cfg.UUID))))
	desc(goipp.MakeAttribute("printer-state", goipp.TagEnum, goipp.Integer(3))) // idle
	desc(keywords("printer-state-reasons", "none"))
	desc(goipp.MakeAttribute("printer-is-accepting-jobs", goipp.TagBoolean, goipp.Boolean(true)))
	desc(goipp.MakeAttribute("printer-up-time", goipp.TagInteger, goipp.Integer(s.upTime(time.Now()))))
	desc(goipp.MakeAttribute("printer-current-time", goipp.TagDateTime, goipp.Time{Time: time.Now()}))
	desc(goipp.MakeAttribute("queued-job-count", goipp.TagInteger, goipp.Integer(s.queuedJobs())))
	desc(keywords("ipp-versions-supported", "1.1", "2.0"))
	desc(makeAttr("operations-supported", goipp.TagEnum, slices.Sorted(maps.Keys(s.ops)), func(op goipp.Op) goipp.Value { return goipp.Integer(op) }))
	desc(goipp.MakeAttribute("multiple-document-jobs-supported", goipp.TagBoolean, goipp.Boolean(false)))
	desc(goipp.MakeAttribute("charset-configured", goipp.TagCharset, goipp.String(charsetUTF8)))
	desc(makeAttr("charset-supported", goipp.TagCharset, []string{charsetUTF8, "us-ascii"}, str))
	desc(goipp.MakeAttribute("natural-language-configured", goipp.TagLanguage, goipp.String(languageEN)))
	desc(goipp.MakeAttribute("generated-natural-language-supported", goipp.TagLanguage, goipp.String(languageEN)))
	desc(goipp.MakeAttribute("document-format-default", goipp.TagMimeType, goipp.String(formatOctets)))
	desc(makeAttr("document-format-supported", goipp.TagMimeType, documentFormats, str))
	desc(keywords("pdl-override-supported", "attempted"))
	desc(keywords("compression-supported", compressions...))

	template(keywords("job-hold-until-default", holdUntil))
	// no-hold is accepted (ipp-1.1.test expects it) and means nothing
	// here: every job waits for its owner at a printer.
	template(keywords("job-hold-until-supported", holdUntil, "no-hold"))
	template(keywords("media-default", s.cfg.DefaultMedia))
	template(keywords("media-supported", slices.Sorted(maps.Keys(mediaSizes))...))
	s.everywhereAttrs(rq, desc, template)
	return attrs
}

// makeAttr makes a multi-valued attribute of tag from vs.
func makeAttr[T any](name string, tag goipp.Tag, vs []T, value func(T) goipp.Value) goipp.Attribute {
	a := goipp.Attribute{Name: name}
	for _, v := range vs {
		a.Values.Add(tag, value(v))
	}
	return a
}

// upTime is printer-up-time: seconds since the server started, from 1.
// Times before the start (jobs from an earlier run) are 0.
func (s *Server) upTime(t time.Time) int {
	return max(int(t.Sub(s.started)/time.Second)+1, 0)
}

// queuedJobs is queued-job-count, when the JobStore can tell.
func (s *Server) queuedJobs() int {
	if c, ok := s.jobs.(interface{ count() int }); ok {
		return c.count()
	}
	return 0
}

// hostOf is the host (and port) clients reach this server by, for the
// URIs in answers: the request's Host when it is a plain host[:port],
// else the address the connection came in on.
func hostOf(r *http.Request) string {
	if validHost(r.Host) {
		return r.Host
	}
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if host, port, err := net.SplitHostPort(a.String()); err == nil {
			return net.JoinHostPort(host, port)
		}
	}
	return "localhost"
}

func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for _, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune(".-:[]%_", c):
		default:
			return false
		}
	}
	return true
}

func printerURI(r *http.Request, secure bool) string {
	scheme := "ipp"
	if secure {
		scheme = "ipps"
	}
	return scheme + "://" + hostOf(r) + queuePath
}

func jobURI(r *http.Request, secure bool, number int) string {
	return printerURI(r, secure) + "/jobs/" + strconv.Itoa(number)
}

// jobNumberFromURI reads the job-id from a job-uri this server made.
func jobNumberFromURI(uri string) (int, bool) {
	i := strings.LastIndex(uri, queuePath+"/jobs/")
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(uri[i+len(queuePath+"/jobs/"):])
	return n, err == nil && n > 0
}
