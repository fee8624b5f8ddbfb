package paneltest

import (
	"bytes"
	"encoding/xml"
)

// bodyOperation is the local name of the first element inside the Body.
func bodyOperation(data []byte) string {
	dec := xml.NewDecoder(bytes.NewReader(data))
	inBody := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		if t, ok := tok.(xml.StartElement); ok {
			if inBody {
				return t.Name.Local
			}
			inBody = t.Name.Local == "Body"
		}
	}
}
