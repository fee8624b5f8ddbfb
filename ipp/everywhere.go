package ipp

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/OpenPrinting/goipp"
)

// Capabilities is what the queue offers clients. It stands for every
// printer a job may be released at, so the rule (the agent applies it) is
// generous: colour if any enabled printer does colour or is not known not
// to, duplex likewise. A job asking for colour released at a monochrome
// printer prints in grey; one asking for duplex prints one-sided. The zero
// value offers both.
type Capabilities struct {
	NoColor  bool // every printer is known to be monochrome
	NoDuplex bool // every printer is known to print one-sided only
}

// Color reports whether the queue offers colour.
func (c Capabilities) Color() bool { return !c.NoColor }

// Duplex reports whether the queue offers two-sided printing.
func (c Capabilities) Duplex() bool { return !c.NoDuplex }

// Document formats the queue takes. PWG raster, URF and JPEG are what iOS
// and IPP Everywhere clients send besides PDF.
const (
	FormatPDF       = "application/pdf"
	FormatJPEG      = "image/jpeg"
	FormatURF       = "image/urf"
	FormatPWGRaster = "image/pwg-raster"
)

// URFSupported is urf-supported (and the URF TXT key): 8-bit sRGB and grey,
// 300 and 600 dpi, duplex variants, copies, one-sided; see AirPrint's URF
// key list. Colour and duplex keys are dropped per Capabilities.
func URFSupported(c Capabilities) []string {
	v := []string{"V1.4", "CP1", "PQ3-4-5", "RS300-600", "W8"}
	if c.Color() {
		v = append(v, "SRGB24")
	}
	if c.Duplex() {
		v = append(v, "DM1")
	}
	return v
}

// mediaMargins are media-*-margin-supported, hundredths of mm: 0 for
// borderless photo sizes would be a lie for most office printers; 4.23 mm
// (1/6 in) is the common minimum.
const mediaMargin = 423

// resolutions are pwg-raster-document-resolution-supported and
// printer-resolution-supported, dpi.
var resolutions = []int{300, 600}

func (s *Server) everywhereAttrs(rq *request, desc, template func(goipp.Attribute)) {
	caps := s.capabilities()
	str := func(v string) goipp.Value { return goipp.String(v) }
	keywords := func(name string, vs ...string) goipp.Attribute { return makeAttr(name, goipp.TagKeyword, vs, str) }
	integer := func(name string, v int) goipp.Attribute {
		return goipp.MakeAttribute(name, goipp.TagInteger, goipp.Integer(v))
	}
	enums := func(name string, vs ...int) goipp.Attribute {
		return makeAttr(name, goipp.TagEnum, vs, func(v int) goipp.Value { return goipp.Integer(v) })
	}
	boolean := func(name string, v bool) goipp.Attribute {
		return goipp.MakeAttribute(name, goipp.TagBoolean, goipp.Boolean(v))
	}
	text := func(name, v string) goipp.Attribute { return goipp.MakeAttribute(name, goipp.TagText, goipp.String(v)) }
	res := func(dpi int) goipp.Value { return goipp.Resolution{Xres: dpi, Yres: dpi, Units: goipp.UnitsDpi} }
	dpis := func(name string) goipp.Attribute { return makeAttr(name, goipp.TagResolution, resolutions, res) }
	media := slices.Sorted(maps.Keys(mediaSizes))
	host := hostOf(rq.http)
	scheme := "http"
	if rq.secure {
		scheme = "https"
	}
	started := s.started

	colorModes, colorDefault := []string{"monochrome"}, "monochrome"
	rasterTypes := []string{"black_1", "sgray_8"}
	if caps.Color() {
		colorModes, colorDefault = []string{"auto", "color", "monochrome"}, "auto"
		rasterTypes = append(rasterTypes, "srgb_8")
	}
	sides := []string{"one-sided"}
	if caps.Duplex() {
		sides = append(sides, "two-sided-long-edge", "two-sided-short-edge")
	}

	desc(boolean("color-supported", caps.Color()))
	desc(integer("pages-per-minute", 20))
	if caps.Color() {
		desc(integer("pages-per-minute-color", 20))
	}
	desc(keywords("ipp-features-supported", "ipp-everywhere", "airprint-1.7"))
	desc(keywords("identify-actions-default", "display"))
	desc(keywords("identify-actions-supported", "display"))
	desc(goipp.MakeAttribute("document-format-preferred", goipp.TagMimeType, goipp.String(FormatPDF)))
	desc(keywords("urf-supported", URFSupported(caps)...))
	desc(dpis("pwg-raster-document-resolution-supported"))
	desc(keywords("pwg-raster-document-type-supported", rasterTypes...))
	desc(keywords("pwg-raster-document-sheet-back", "normal"))
	desc(boolean("job-ids-supported", true))
	desc(boolean("preferred-attributes-supported", false))
	desc(integer("multiple-operation-time-out", int(multipleOperationTimeout/time.Second)))
	desc(keywords("multiple-operation-time-out-action", "abort-job"))
	desc(keywords("which-jobs-supported", "completed", "not-completed"))
	desc(keywords("job-creation-attributes-supported", "copies", "finishings", "ipp-attribute-fidelity",
		"job-name", "job-password", "job-password-encryption", "media", "media-col", "orientation-requested",
		"output-bin", "page-ranges", "print-color-mode", "print-content-optimize", "print-quality",
		"print-rendering-intent", "printer-resolution", "sides"))
	desc(keywords("printer-get-attributes-supported", "document-format"))
	desc(goipp.MakeAttribute("printer-device-id", goipp.TagText, goipp.String(
		"MFG:edgeprint;MDL:Secure Print;CMD:PDF,JPEG,URF,PWGRaster;")))
	desc(goipp.MakeAttribute("printer-geo-location", goipp.TagUnknown, goipp.Void{}))
	desc(makeAttr("printer-icons", goipp.TagURI, []string{scheme + "://" + host + "/icon.png"}, str))
	desc(text("printer-organization", ""))
	desc(text("printer-organizational-unit", ""))
	desc(goipp.MakeAttribute("printer-config-change-date-time", goipp.TagDateTime, goipp.Time{Time: started}))
	desc(integer("printer-config-change-time", 1))
	desc(goipp.MakeAttribute("printer-state-change-date-time", goipp.TagDateTime, goipp.Time{Time: started}))
	desc(integer("printer-state-change-time", 1))
	desc(goipp.MakeAttribute("printer-supply", goipp.TagString, goipp.Binary("type=other;maxcapacity=100;level=100;")))
	desc(text("printer-supply-description", "Printers of this site"))
	desc(goipp.MakeAttribute("printer-supply-info-uri", goipp.TagURI, goipp.String(scheme+"://"+host+"/")))
	desc(keywords("printer-kind", "document"))
	desc(keywords("job-password-encryption-supported", "none"))
	desc(integer("job-password-supported", 4))
	desc(keywords("job-password-repertoire-supported", "iana_us-ascii_digits"))
	desc(keywords("job-password-repertoire-configured", "iana_us-ascii_digits"))
	desc(keywords("printer-firmware-name", "edgeprint"))
	desc(keywords("mopria-certified", "2.0"))
	desc(goipp.MakeAttribute("printer-dns-sd-name", goipp.TagName, goipp.String(s.cfg.Name)))

	template(goipp.MakeAttribute("copies-default", goipp.TagInteger, goipp.Integer(1)))
	template(goipp.MakeAttribute("copies-supported", goipp.TagRange, goipp.Range{Lower: 1, Upper: 999}))
	template(enums("finishings-default", 3))
	template(enums("finishings-supported", 3))
	template(enums("orientation-requested-default", 3))
	template(enums("orientation-requested-supported", 3, 4, 5, 6))
	template(keywords("output-bin-default", "face-down"))
	template(keywords("output-bin-supported", "face-down"))
	template(enums("print-quality-default", 4))
	template(enums("print-quality-supported", 3, 4, 5))
	template(goipp.MakeAttribute("printer-resolution-default", goipp.TagResolution, res(resolutions[0])))
	template(dpis("printer-resolution-supported"))
	template(keywords("sides-default", "one-sided"))
	template(keywords("sides-supported", sides...))
	template(keywords("print-color-mode-default", colorDefault))
	template(keywords("print-color-mode-supported", colorModes...))
	template(keywords("print-content-optimize-default", "auto"))
	template(keywords("print-content-optimize-supported", "auto", "graphic", "photo", "text", "text-and-graphic"))
	template(keywords("print-rendering-intent-default", "auto"))
	template(keywords("print-rendering-intent-supported", "auto", "perceptual", "relative"))
	template(boolean("page-ranges-supported", true))
	template(keywords("overrides-supported", "document-number", "pages"))
	template(boolean("job-account-id-supported", false))
	template(boolean("job-accounting-user-id-supported", false))
	template(keywords("media-ready", s.cfg.DefaultMedia))
	template(keywords("media-source-supported", "auto"))
	template(keywords("media-type-supported", "stationery"))
	for _, side := range []string{"bottom", "left", "right", "top"} {
		template(integer("media-"+side+"-margin-supported", mediaMargin))
	}
	var sizes []goipp.Value
	var database []goipp.Value
	for _, m := range media {
		sizes = append(sizes, mediaSize(m))
		database = append(database, mediaCol(m))
	}
	template(goipp.Attribute{Name: "media-size-supported", Values: collections(sizes)})
	template(goipp.Attribute{Name: "media-col-database", Values: collections(database)})
	template(goipp.Attribute{Name: "media-col-ready", Values: collections([]goipp.Value{mediaCol(s.cfg.DefaultMedia)})})
	template(goipp.MakeAttribute("media-col-default", goipp.TagBeginCollection, mediaCol(s.cfg.DefaultMedia)))
	template(keywords("media-col-supported", "media-bottom-margin", "media-left-margin", "media-right-margin",
		"media-size", "media-source", "media-top-margin", "media-type"))
}

func collections(vs []goipp.Value) goipp.Values {
	var out goipp.Values
	for _, v := range vs {
		out.Add(goipp.TagBeginCollection, v)
	}
	return out
}

func mediaSize(name string) goipp.Collection {
	size := mediaSizes[name]
	return goipp.Collection{
		goipp.MakeAttribute("x-dimension", goipp.TagInteger, goipp.Integer(size[0])),
		goipp.MakeAttribute("y-dimension", goipp.TagInteger, goipp.Integer(size[1])),
	}
}

func mediaCol(name string) goipp.Collection {
	c := goipp.Collection{goipp.MakeAttribute("media-size", goipp.TagBeginCollection, mediaSize(name))}
	for _, side := range []string{"bottom", "left", "right", "top"} {
		c = append(c, goipp.MakeAttribute("media-"+side+"-margin", goipp.TagInteger, goipp.Integer(mediaMargin)))
	}
	c = append(c,
		goipp.MakeAttribute("media-source", goipp.TagKeyword, goipp.String("auto")),
		goipp.MakeAttribute("media-type", goipp.TagKeyword, goipp.String("stationery")),
	)
	return c
}

// TXT is the DNS-SD TXT record of the queue as it is now (see QueueTXT).
func (s *Server) TXT(adminURL string) [][2]string {
	c := s.cfg
	c.Capabilities = s.capabilities()
	return QueueTXT(c, adminURL)
}

// QueueTXT is the DNS-SD TXT record of the _ipp._tcp and _ipps._tcp
// services of the queue c describes (Bonjour Printing 1.2.1, AirPrint and
// Mopria keys), key=value pairs in order; adminURL is the queue's web
// page. Every string is well under 255 bytes but note (the location) and
// adminurl, which the caller bounds.
func QueueTXT(c Config, adminURL string) [][2]string {
	caps := c.Capabilities
	tf := func(b bool) string {
		if b {
			return "T"
		}
		return "F"
	}
	return [][2]string{
		{"txtvers", "1"},
		{"qtotal", "1"},
		{"rp", strings.TrimPrefix(queuePath, "/")},
		{"ty", makeAndModel},
		{"product", "(" + makeAndModel + ")"},
		{"note", c.Location},
		{"adminurl", adminURL},
		{"priority", "50"},
		{"pdl", strings.Join([]string{FormatPDF, FormatJPEG, FormatURF, FormatPWGRaster}, ",")},
		{"URF", strings.Join(URFSupported(caps), ",")},
		{"UUID", strings.ToLower(c.UUID)},
		{"TLS", "1.2"},
		{"Color", tf(caps.Color())},
		{"Duplex", tf(caps.Duplex())},
		{"air", "username,password"},
		{"kind", "document"},
		{"mopria-certified", "2.0"},
	}
}
