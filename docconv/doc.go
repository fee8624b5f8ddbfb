// Package docconv turns the image and raster formats phones send (JPEG,
// Apple URF, PWG Raster) into PDF, so any PDF-capable printer prints jobs
// that came from iOS or an IPP Everywhere client. The agent converts at
// release, not at ingest: the spool keeps documents as received (one
// conversion per print, none for jobs that are never printed, and the
// original survives a converter bug).
//
// Each page becomes one image, Flate-compressed (JPEG is embedded as is,
// DCTDecode), on a page the size the raster says (its PageSize or pixels
// over dpi); a JPEG is centred on an A4 page, scaled to fit. Limits come
// from package pwgraster (dpi, pixels) and MaxJPEGBytes.
package docconv
