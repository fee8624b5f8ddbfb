// Package snmp discovers printers over SNMP v1, v2c and v3 and reads their
// identity (make, model, serial, MAC), capabilities (colour, duplex, page
// description languages) and state (status, errors, supplies, page
// counters) from the system group, IF-MIB, HOST-RESOURCES-MIB and the
// Printer MIB (RFC 3805), with vendor fallbacks kept as data in vendors.go.
//
// Sweep expands targets (CIDR, ranges, hosts, host:port), probes each
// address with its credentials in order under bounded concurrency and a
// packet rate, and reads every device that answers. Decode is the pure
// step from variables to a Printer; Merge de-duplicates by serial, then MAC.
// Apply writes vendor settings by SNMP SET, driven by data (set.go).
package snmp
