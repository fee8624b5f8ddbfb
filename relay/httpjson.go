package relay

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/edgeprint/edgeprint/relay/store"
)

// maxJSONBody bounds every JSON request body.
const maxJSONBody = 1 << 20

// httpError is an error with the status and message the client gets.
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) error {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) error {
	return errorf(http.StatusBadRequest, format, args...)
}

// errUnauthorized is the one answer to every failed credential check, so
// the answer does not tell which part was wrong.
var errUnauthorized = errorf(http.StatusUnauthorized, "unauthorized")

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers err as {"error": ...}: its own status for an
// httpError, 404 and 409 for the store's not-found and conflict, else 500
// with the details in the log only.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var he *httpError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &he):
		writeJSON(w, he.status, map[string]string{"error": he.msg})
	case errors.As(err, &ce):
		writeJSON(w, http.StatusConflict, map[string]string{"error": ce.Error()})
	case errors.Is(err, store.ErrNotFound):
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
	default:
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	}
}

// decodeJSON reads exactly one JSON value into v, refusing unknown fields,
// trailing data and bodies over maxJSONBody. An empty body is an error
// unless allowEmpty, in which case v is left as it was.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, allowEmpty bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.Is(err, io.EOF) && allowEmpty:
			return nil
		case errors.Is(err, io.EOF):
			return badRequest("request body is empty")
		case errors.As(err, &tooBig):
			return errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", maxJSONBody)
		default:
			return badRequest("invalid JSON: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("invalid JSON: data after the object")
	}
	return nil
}
