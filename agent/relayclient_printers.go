package agent

import (
	"context"
	"net/http"
)

// putPrinters sends the discovered printers: PUT /agent/v1/printers.
func (c relayClient) putPrinters(ctx context.Context, ps []DiscoveredPrinter) error {
	if ps == nil {
		ps = []DiscoveredPrinter{}
	}
	return c.callJSON(ctx, http.MethodPut, "/agent/v1/printers", map[string]any{"printers": ps}, nil)
}
