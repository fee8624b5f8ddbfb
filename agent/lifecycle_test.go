package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"

	"github.com/edgeprint/edgeprint/convert"
	"github.com/edgeprint/edgeprint/lpr"
	"github.com/edgeprint/edgeprint/raw9100"
)

func TestTransient(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"refused", fmt.Errorf("raw9100: connect: %w", &os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED}), true},
		{"reset", fmt.Errorf("lpr: send: %w", syscall.ECONNRESET), true},
		{"broken pipe", syscall.EPIPE, true},
		{"write deadline", fmt.Errorf("raw9100: send: %w", os.ErrDeadlineExceeded), true},
		{"lpd hung up", fmt.Errorf("lpr: data file: %w", lpr.ErrClosed), true},
		{"relay away", ErrRelayOffline, true},
		{"relay stream cut", io.ErrUnexpectedEOF, true},
		{"printer in error", fmt.Errorf("x: %w", raw9100.ErrPrinterNotReady), false},
		{"queue refused", &lpr.RefusedError{Step: "receive job", Code: 1}, false},
		{"bad queue", lpr.ErrBadQueue, false},
		{"no gs", convert.ErrNoGhostscript, false},
		{"cancelled", context.Canceled, false},
		{"unknown", errors.New("something else"), false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := transient(tc.err); got != tc.want {
				t.Fatalf("transient(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
