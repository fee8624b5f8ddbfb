package cardreader

// Feedback is what the agent tells a reader about a swipe.
type Feedback int

const (
	// FeedbackOK: the card is known and its jobs are on their way.
	FeedbackOK Feedback = iota + 1
	// FeedbackError: unknown card, no printer, or nothing to release.
	FeedbackError
)

// Model is what the agent knows of one reader model. Quirks are data here,
// one entry per model with where it comes from, not ifs in the code.
type Model struct {
	Name string
	// Port is the model's factory port in client mode (the reader
	// connects to the agent) and the port dialled in server mode.
	Port int
	// Conversion is the model's default chain, run before a reader's own.
	Conversion []Step
	// OK and Error are the bytes written back to the reader, on the same
	// connection, for each outcome; nil when the model takes no commands.
	OK, Error []byte
	// FeedbackDefault turns feedback on for readers that do not say.
	FeedbackDefault bool
}

// genericBeep and genericError are the one-character commands of the
// "generic" network reader protocol PaperCut documents (v version, b beep,
// e error). Firmwares configured for that protocol accept them; others
// print them as garbage or ignore them, so feedback is off unless a reader
// is configured for it.
var (
	genericBeep  = []byte("b")
	genericError = []byte("e")
)

// Models lists the supported reader models by the name the relay uses.
var Models = map[string]Model{
	// Elatec TWN4 with the TCPConv firmware, factory port 7778. Sends the
	// card number as configured in the firmware (hex by default), then CR LF.
	ElatecTCPConv: {Name: ElatecTCPConv, Port: 7778, Conversion: []Step{{Op: OpTrim}, {Op: OpUpper}},
		OK: genericBeep, Error: genericError},
	// Elatec TCPConv2, factory port 7777; same line format as TCPConv.
	ElatecTCPConv2: {Name: ElatecTCPConv2, Port: 7777, Conversion: []Step{{Op: OpTrim}, {Op: OpUpper}},
		OK: genericBeep, Error: genericError},
	// RF IDeas Ethernet 241, port 2001. Sends the card as configured with
	// the pcProx tool (decimal by default), ended by CR or CR LF. Its own
	// TLS is SSLv3 only, which Go refuses: see README.md.
	RFIDeas241: {Name: RFIDeas241, Port: 2001, Conversion: []Step{{Op: OpTrim}, {Op: OpUpper}},
		OK: genericBeep, Error: genericError},
}

// ModelChain is the compiled default chain of a model (empty if unknown).
func ModelChain(model string) Chain {
	c, err := Compile(Models[model].Conversion)
	if err != nil {
		panic("cardreader: bad built-in chain for " + model + ": " + err.Error())
	}
	return c
}

// Command returns the bytes for f on model, nil when it takes none.
func (m Model) Command(f Feedback) []byte {
	switch f {
	case FeedbackOK:
		return m.OK
	case FeedbackError:
		return m.Error
	}
	return nil
}
