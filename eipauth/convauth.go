package eipauth

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Paths the Convenience Authentication service answers on: XeroxPath, the
// path Xerox devices call by default, and the configured one.
const (
	XeroxPath   = "/public/dce/xeroxvalidation/convauth"
	DefaultPath = "/convauth"
	// PrinterHeader names the printer explicitly (its id or address) when
	// the source address is not the printer's, e.g. behind NAT.
	PrinterHeader = "X-Edgeprint-Printer"
	// validateTimeout bounds looking up a badge or checking a password.
	validateTimeout = 20 * time.Second
)

// Operations.
const (
	OpInit     = "InitAuthenticationSession"
	OpValidate = "ValidateAndContinue"
	OpContinue = "ContinueOrCloseSession"
	OpClose    = "CloseSession"
)

// Results of ValidateAndContinue and ContinueOrCloseSession.
const (
	ResultAccept   = "Accept"
	ResultDeny     = "Deny"
	ResultPending  = "Pending"
	ResultContinue = "Continue"
	ResultClosed   = "Closed"
)

// known lists the request elements each operation reads (lower case); any
// other is logged at debug (README.md, "Capturing a real printer").
var known = map[string]map[string]bool{
	OpInit:     set("sessionid", "printerid", "devicename", "serialnumber", "model", "locale"),
	OpValidate: set("sessionid", "printerid", "badgenumber", "cardnumber", "cardid", "username", "userid", "password", "method"),
	OpContinue: set("sessionid", "printerid", "action"),
	OpClose:    set("sessionid", "printerid", "reason"),
}

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

// ConvAuthHandler serves Convenience Authentication on path and XeroxPath.
func (s *Service) ConvAuthHandler(path string) http.Handler {
	if path == "" {
		path = DefaultPath
	}
	mux := http.NewServeMux()
	mux.HandleFunc(path, s.serveSOAP)
	if path != XeroxPath {
		mux.HandleFunc(XeroxPath, s.serveSOAP)
	}
	return mux
}

func (s *Service) serveSOAP(w http.ResponseWriter, r *http.Request) {
	v := versionOf(r.Header.Get("Content-Type"))
	log := s.log.With("remote", r.RemoteAddr)
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		s.fault(w, v, FaultSender, "SOAP requests are POSTed")
		return
	}
	m, err := Parse(http.MaxBytesReader(w, r.Body, MaxBody), r.Header.Get("Content-Type"))
	if err != nil {
		log.Info("bad SOAP request", "err", err)
		s.fault(w, m.Version, FaultSender, err.Error())
		return
	}
	s.cfg.Metrics.requests.WithLabelValues(metricOp(m.Operation)).Inc()
	key := s.printerKey(r, m)
	p, err := s.cfg.Printers.PrinterFor(key)
	if err != nil {
		log.Warn("convenience authentication from an unknown printer", "printer", key, "operation", m.Operation)
		s.fault(w, m.Version, FaultSender, "this device is not an enabled printer of this agent")
		return
	}
	log = log.With("printer", p.Name)
	if k := known[m.Operation]; k != nil {
		logUnknown(log, m, k)
	}
	switch m.Operation {
	case OpInit:
		s.initSession(w, m, p)
	case OpValidate:
		s.validate(w, r, m, p)
	case OpContinue:
		s.continueOrClose(w, m, p)
	case OpClose:
		sid := m.Get("SessionId")
		if sess, ok := s.sessions.close(p.ID, sid); ok {
			s.ended(sess, "close")
		}
		writeSOAP(w, m.Version, OpClose+"Response", F("SessionId", sid), F("Result", ResultClosed))
	default:
		log.Info("unknown SOAP operation", "operation", m.Operation, "fields", m.Fields)
		s.fault(w, m.Version, FaultSender, "unknown operation "+m.Operation)
	}
}

func (s *Service) fault(w http.ResponseWriter, v Version, code, reason string) {
	s.cfg.Metrics.faults.Inc()
	writeFault(w, v, code, reason)
}

func metricOp(op string) string {
	if known[op] == nil {
		return "unknown"
	}
	return op
}

// printerKey is the request's source address, or the explicit override
// (header, then element) when the source may give one (OverrideFrom): an
// override from anywhere would let any host act as any printer.
func (s *Service) printerKey(r *http.Request, m *Message) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	override := strings.TrimSpace(r.Header.Get(PrinterHeader))
	if override == "" && m != nil {
		override = m.Get("PrinterId")
	}
	if override == "" {
		return host
	}
	if !s.overrideAllowed(host) {
		s.log.Debug("printer override ignored from this address", "remote", host, "override", override)
		return host
	}
	return override
}

func (s *Service) overrideAllowed(host string) bool {
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	ip = ip.Unmap()
	if s.cfg.OverrideFrom == nil {
		return ip.IsLoopback()
	}
	for _, p := range s.cfg.OverrideFrom {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

func (s *Service) screen(p Printer) []Field {
	code := s.codes.Current(p.ID)
	prompt := s.cfg.Prompt
	if s.cfg.PortalURL != "" {
		prompt += " (" + s.cfg.PortalURL + ")"
	}
	return []Field{F("Title", s.cfg.Title), F("Prompt", prompt), F("UnlockCode", code)}
}

func (s *Service) initSession(w http.ResponseWriter, m *Message, p Printer) {
	sess, prev := s.sessions.start(p)
	if prev != nil {
		s.ended(session{printer: p, user: *prev}, "replaced")
	}
	fields := append([]Field{F("SessionId", sess.id), F("Status", "Ready")}, s.screen(p)...)
	fields = append(fields,
		Field{Name: "Methods", Children: []Field{F("Method", "Badge"), F("Method", "Password"), F("Method", "UnlockCode")}},
		F("SessionTimeout", strconv.Itoa(int(AuthenticatingTimeout/time.Second))))
	writeSOAP(w, m.Version, OpInit+"Response", fields...)
}

func (s *Service) validate(w http.ResponseWriter, r *http.Request, m *Message, p Printer) {
	sid := m.Get("SessionId")
	sess, ok := s.sessions.get(p.ID, sid)
	if !ok {
		s.fault(w, m.Version, FaultSender, "no such session: start one with "+OpInit)
		return
	}
	card := m.Get("BadgeNumber", "CardNumber", "CardId")
	name := m.Get("UserName", "UserId")
	if sess.state == StateLoggedIn && card == "" && name == "" {
		s.accept(w, m, sess, sess.user) // the printer asks again
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), validateTimeout)
	defer cancel()
	ev := Event{Interface: "panel", Printer: p.ID, Remote: r.RemoteAddr}
	var (
		u   User
		err error
	)
	switch {
	case card != "":
		ev.Method, ev.User = "badge", maskCard(card)
		u, err = s.cfg.Cards.CardOwner(ctx, card)
	case name != "":
		ev.Method, ev.User = "password", name
		u, err = s.cfg.Authenticator.Authenticate(ctx, name, m.Get("Password"))
	case sess.pending != nil:
		ev.Method = "unlock"
		u = *sess.pending
	default:
		// The printer polls while its screen shows the unlock code.
		writeSOAP(w, m.Version, OpValidate+"Response",
			append([]Field{F("SessionId", sess.id), F("Result", ResultPending)}, s.screen(p)...)...)
		return
	}
	switch {
	case errors.Is(err, ErrDenied):
		ev.Result = "denied"
		s.audit(ev)
		writeSOAP(w, m.Version, OpValidate+"Response",
			append([]Field{F("SessionId", sess.id), F("Result", ResultDeny), F("Reason", denyReason(ev.Method))}, s.screen(p)...)...)
		return
	case err != nil:
		ev.Result = "error"
		s.audit(ev)
		s.log.Warn("panel login could not be checked", "printer", p.Name, "method", ev.Method, "err", err)
		s.fault(w, m.Version, FaultReceiver, "the login could not be checked now; try again")
		return
	}
	ev.User = u.ID
	if !s.sessions.login(p.ID, sess.id, u, ev.Method) {
		ev.Result = "denied"
		s.audit(ev)
		s.fault(w, m.Version, FaultSender, "the session ended or another user is logged in")
		return
	}
	if sess.state == StateLoggedIn {
		s.accept(w, m, sess, u) // the same user again: nothing more to do
		return
	}
	ev.Result = "accepted"
	s.audit(ev)
	s.codes.Rotate(p.ID)
	sess.state, sess.user = StateLoggedIn, u
	s.accept(w, m, sess, u)
	if s.cfg.Releaser != nil {
		s.cfg.Releaser.AutoRelease(u, p)
	}
}

func denyReason(method string) string {
	switch method {
	case "badge":
		return "This badge is not known. Register it in the print portal."
	case "password":
		return "Wrong username or password."
	}
	return "Login refused."
}

func (s *Service) accept(w http.ResponseWriter, m *Message, sess session, u User) {
	codes := make([]Field, 0, len(u.AccountingCodes))
	for _, c := range u.AccountingCodes {
		codes = append(codes, F("AccountingCode", c))
	}
	fields := []Field{F("SessionId", sess.id), F("Result", ResultAccept),
		F("UserId", u.ID), F("UserName", u.Email), F("DisplayName", displayName(u)), F("Email", u.Email)}
	if len(codes) > 0 {
		fields = append(fields, Field{Name: "AccountingCodes", Children: codes})
	}
	fields = append(fields, F("SessionTimeout", strconv.Itoa(int(IdleTimeout/time.Second))))
	writeSOAP(w, m.Version, OpValidate+"Response", fields...)
}

func displayName(u User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

func (s *Service) continueOrClose(w http.ResponseWriter, m *Message, p Printer) {
	sid := m.Get("SessionId")
	if strings.EqualFold(m.Get("Action"), "Close") {
		if sess, ok := s.sessions.close(p.ID, sid); ok {
			s.ended(sess, "close")
		}
		writeSOAP(w, m.Version, OpContinue+"Response", F("SessionId", sid), F("Result", ResultClosed))
		return
	}
	if s.sessions.touch(p.ID, sid) {
		writeSOAP(w, m.Version, OpContinue+"Response", F("SessionId", sid), F("Result", ResultContinue))
		return
	}
	if sess, ok := s.sessions.get(p.ID, sid); ok && sess.state == StateAuthenticating {
		// Nobody logged in yet: keep the blocking screen.
		writeSOAP(w, m.Version, OpContinue+"Response",
			append([]Field{F("SessionId", sid), F("Result", ResultPending)}, s.screen(p)...)...)
		return
	}
	writeSOAP(w, m.Version, OpContinue+"Response", F("SessionId", sid), F("Result", ResultClosed))
}

// ended logs the end of a logged-in session.
func (s *Service) ended(sess session, why string) {
	if sess.user.ID == "" {
		return
	}
	s.audit(Event{Interface: "panel", Method: "logout", Printer: sess.printer.ID, User: sess.user.ID, Result: why})
}

// Unlock completes printerID's pending login for u when code is the code
// its blocking screen shows. The printer's next ValidateAndContinue
// accepts u. Attempts are rate-limited per user and per printer.
func (s *Service) Unlock(printerID, code string, u User, remote string) error {
	ev := Event{Interface: "portal", Method: "unlock", Printer: printerID, User: u.ID, Remote: remote}
	p, err := s.cfg.Printers.PrinterFor(printerID)
	if err != nil {
		ev.Result = "denied"
		s.audit(ev)
		return err
	}
	err = s.codes.Check(p.ID, u.ID, code)
	if err == nil {
		err = s.sessions.setPending(p.ID, u)
	}
	switch {
	case err == nil:
		ev.Result = "accepted"
	case errors.Is(err, ErrRateLimited):
		ev.Result = "rate-limited"
	default:
		ev.Result = "denied"
	}
	s.audit(ev)
	return err
}

// ForceLogout ends the printer's session at the agent: its SSO tokens stop
// working. The caller pushes ForceLogout to the printer (PrinterClient).
func (s *Service) ForceLogout(printerID string) error {
	sess, ok := s.sessions.close(printerID, "")
	if !ok {
		return ErrNoSession
	}
	s.ended(sess, "forced")
	return nil
}

// SessionState reports the printer's session state and user, for status
// pages and tests.
func (s *Service) SessionState(printerID string) (State, User) {
	sess, ok := s.sessions.get(printerID, "")
	if !ok {
		return StateIdle, User{}
	}
	return sess.state, sess.user
}

// maskCard keeps card numbers out of logs but for their last digits.
func maskCard(card string) string {
	if len(card) <= 4 {
		return "****"
	}
	return "****" + card[len(card)-4:]
}
