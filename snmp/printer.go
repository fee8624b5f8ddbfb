package snmp

// Printer is what discovery learns about one device. Empty fields are
// unknown, not absent: a walk that lacks a column leaves its field empty.
type Printer struct {
	Address      string `json:"address"` // host or host:port as swept
	Manufacturer string `json:"manufacturer"`
	Model        string `json:"model"`
	Serial       string `json:"serial"`
	MAC          string `json:"mac"` // aa:bb:cc:dd:ee:ff
	Name         string `json:"name,omitempty"`
	Location     string `json:"location,omitempty"`
	Description  string `json:"description,omitempty"` // sysDescr
	SysObjectID  string `json:"sys_object_id,omitempty"`

	Color     *bool    `json:"color"`
	Duplex    *bool    `json:"duplex"`
	Languages []string `json:"languages"`

	Status string   `json:"status"`           // idle, printing, warmup, warning, down, other, unknown
	Errors []string `json:"errors,omitempty"` // hrPrinterDetectedErrorState names

	Supplies       []Supply `json:"supplies"`
	PageCount      *int64   `json:"page_count"`
	ColorPageCount *int64   `json:"color_page_count,omitempty"`
	MonoPageCount  *int64   `json:"mono_page_count,omitempty"`

	// OtherAddresses are further addresses of the same device (merged by
	// serial or MAC).
	OtherAddresses []string `json:"other_addresses,omitempty"`
	// Sources lists how the device was found: "snmp", "mdns".
	Sources []string `json:"sources,omitempty"`
	// Credential names the credential that answered (never its secret).
	Credential string `json:"credential,omitempty"`
}

// Supply is one row of prtMarkerSuppliesTable.
type Supply struct {
	Name    string `json:"name"`
	Color   string `json:"color"`
	Kind    string `json:"kind,omitempty"`    // toner, ink, drum, waste, ...
	Percent *int   `json:"percent,omitempty"` // 0-100 when level and max are known
	Level   int    `json:"level"`             // prtMarkerSuppliesLevel; -1 other, -2 unknown, -3 some left
	Max     int    `json:"max"`               // prtMarkerSuppliesMaxCapacity; -1 other, -2 unknown
}

// HasIdentity reports whether the printer has a model and a serial, which
// is what an inventory needs to tell devices apart.
func (p *Printer) HasIdentity() bool { return p.Model != "" && p.Serial != "" }
