// Package snmprec reads snmpsim recordings (.snmprec, one "OID|TAG|VALUE"
// per line) and answers SNMP v1 and v2c GET, GETNEXT and GETBULK from one,
// on any number of UDP sockets. It is the printer simulator of the
// discovery benchmark: fast enough for hundreds of addresses in one
// process, serving the real captures unchanged. Tests use snmpsimd itself.
package snmprec
