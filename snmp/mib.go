package snmp

// OIDs read during discovery, numeric and without a leading dot. Columns end
// in the column number; the row index follows when they are read.
const (
	// SNMPv2-MIB system group (RFC 3418).
	oidSysDescr    = "1.3.6.1.2.1.1.1.0"
	oidSysObjectID = "1.3.6.1.2.1.1.2.0"
	oidSysUpTime   = "1.3.6.1.2.1.1.3.0"
	oidSysName     = "1.3.6.1.2.1.1.5.0"
	oidSysLocation = "1.3.6.1.2.1.1.6.0"

	// IF-MIB ifTable (RFC 2863).
	oidIfEntry       = "1.3.6.1.2.1.2.2.1"
	colIfDescr       = 2
	colIfType        = 3
	colIfPhysAddress = 6
	colIfOperStatus  = 8

	// HOST-RESOURCES-MIB (RFC 2790).
	oidHrDeviceEntry         = "1.3.6.1.2.1.25.3.2.1"
	colHrDeviceType          = 2
	colHrDeviceDescr         = 3
	colHrDeviceStatus        = 5
	oidHrPrinterEntry        = "1.3.6.1.2.1.25.3.5.1"
	colHrPrinterStatus       = 1
	colHrPrinterDetectedErrs = 2
	oidHrDevicePrinter       = "1.3.6.1.2.1.25.3.1.5" // hrDeviceType value of a printer

	// Printer-MIB (RFC 3805).
	oidPrinterMIB                = "1.3.6.1.2.1.43"
	oidPrtGeneralSerialNumber    = "1.3.6.1.2.1.43.5.1.1.17.1"
	oidPrtMarkerLifeCount        = "1.3.6.1.2.1.43.10.2.1.4.1.1"
	oidPrtMarkerProcessColorants = "1.3.6.1.2.1.43.10.2.1.6.1.1"
	oidPrtMarkerSuppliesEntry    = "1.3.6.1.2.1.43.11.1.1"
	colSupplyColorantIndex       = 3
	colSupplyClass               = 4
	colSupplyType                = 5
	colSupplyDescription         = 6
	colSupplyMaxCapacity         = 8
	colSupplyLevel               = 9
	oidPrtMarkerColorantEntry    = "1.3.6.1.2.1.43.12.1.1"
	colColorantValue             = 4
	oidPrtMediaPathEntry         = "1.3.6.1.2.1.43.13.4.1"
	colMediaPathType             = 9
	oidPrtInterpreterEntry       = "1.3.6.1.2.1.43.15.1.1"
	colInterpreterLangFamily     = 2
	colInterpreterDescription    = 5

	// The IEEE 1284 device ID that HP JetDirect publishes and many other
	// vendors' network cards copy (HP-LASERJET-COMMON-MIB gdStatusId).
	oidHPDeviceID = "1.3.6.1.4.1.11.2.3.9.1.1.7.0"

	oidEnterprises = "1.3.6.1.4.1"
)
