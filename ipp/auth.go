package ipp

import (
	"context"
	"errors"
	"net"
	"net/http"

	"github.com/OpenPrinting/goipp"
)

// realm is the HTTP Basic realm of every queue.
const realm = "edgeprint"

// authenticate checks the HTTP Basic credentials of rq and sets rq.user.
// A nil response means go on; otherwise it is the answer, with its HTTP
// status:
//   - plain HTTP from another host: 426 and an offer to upgrade to TLS,
//     whatever the request carries, so credentials never cross a network
//     in clear (CUPS clients then upgrade, RFC 2817, and retry);
//   - no or wrong credentials: 401 with a Basic challenge;
//   - the Authenticator could not decide: server-error-service-unavailable,
//     which clients retry later.
func (s *Server) authenticate(rq *request) (int, *goipp.Message) {
	r := rq.http
	if !rq.secure && !(s.plainLoopback && isLoopback(r.RemoteAddr)) {
		rq.header.Set("Upgrade", "TLS/1.2,HTTP/1.1")
		rq.header.Set("Connection", "Upgrade")
		return http.StatusUpgradeRequired, newResponse(rq.msg, goipp.StatusErrorNotAuthenticated,
			"credentials are accepted over TLS only: use ipps://")
	}
	username, password, ok := r.BasicAuth()
	if !ok {
		return s.challenge(rq, "authentication required")
	}
	ctx, cancel := context.WithTimeout(r.Context(), authTimeout)
	defer cancel()
	u, err := s.auth.Authenticate(ctx, username, password)
	switch {
	case errors.Is(err, ErrUnauthorized):
		rq.log.Info("ipp: bad credentials", "username", username)
		return s.challenge(rq, "wrong username or password")
	case err != nil:
		rq.log.Warn("ipp: cannot check credentials", "username", username, "err", err)
		return http.StatusOK, newResponse(rq.msg, goipp.StatusErrorServiceUnavailable,
			"cannot check credentials now; try again later")
	case u.ID == "":
		rq.log.Error("ipp: authenticator accepted a user without an id", "username", username)
		return http.StatusOK, newResponse(rq.msg, goipp.StatusErrorServiceUnavailable,
			"cannot check credentials now; try again later")
	}
	rq.user = u
	rq.log = rq.log.With("user", u.ID)
	return 0, nil
}

func (s *Server) challenge(rq *request, text string) (int, *goipp.Message) {
	rq.header.Set("WWW-Authenticate", `Basic realm="`+realm+`"`)
	return http.StatusUnauthorized, newResponse(rq.msg, goipp.StatusErrorNotAuthenticated, text)
}

// isLoopback reports whether a peer address ("host:port") is a loopback
// address of this machine.
func isLoopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
