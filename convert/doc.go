// Package convert turns PDF into a language a printer takes when the
// printer does not take PDF: PostScript (Ghostscript's ps2write), PCL XL
// (pxlcolor, pxlmono) or PCL 5 (ljet4). It runs the system's Ghostscript,
// `gs`, under a deadline; without it, it says so (ErrNoGhostscript) so the
// job stays held with a reason an administrator can act on.
//
// Only PDF is converted. Every other format passes through untouched: the
// printer either takes it or it was not going to print anyway.
package convert
