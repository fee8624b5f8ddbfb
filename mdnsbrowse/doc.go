// Package mdnsbrowse finds printers that announce themselves over mDNS /
// DNS-SD (_ipp._tcp, _ipps._tcp, _pdl-datastream._tcp, _printer._tcp) and
// reads what their TXT records say (Bonjour Printing 1.2 keys: ty,
// usb_MFG, usb_MDL, product, note, UUID, Color, Duplex, pdl, adminurl).
// It only browses; advertising the agent's own queue is package dnssd's.
package mdnsbrowse
