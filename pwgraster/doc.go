// Package pwgraster reads and writes PWG Raster (PWG 5102.4) streams, the
// page format IPP Everywhere clients send: "RaS2", then per page a
// 1796-byte header and run-length compressed lines. The queue uses it to
// turn raster jobs into PDF (see package docconv); tests use it to make the
// samples ipptool's ipp-everywhere.test prints.
package pwgraster
