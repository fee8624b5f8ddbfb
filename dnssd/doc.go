// Package dnssd advertises the site's print queue with DNS-SD over
// multicast DNS (RFC 6762, RFC 6763), the way AirPrint and IPP Everywhere
// clients look for printers, and writes the same records as a unicast
// DNS-SD zone for networks where multicast does not reach the clients.
//
// It answers queries itself (grandcat/zeroconf v1.0.0 does not answer
// subtype queries, which iOS sends): the wire format is
// github.com/miekg/dns. README.md tells how it runs.
package dnssd
