// Package snmp will discover printers over SNMP v1/v2c/v3 and read their
// identity, capabilities and state from the Printer MIB and HOST-RESOURCES-MIB.
//
// Not built yet: in the walking skeleton printers are added by hand through
// the relay's API. Issue "Printer discovery" builds this package.
package snmp
