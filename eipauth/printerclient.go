package eipauth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Printer-side web services.
const (
	SmartAuthPath        = "/webservices/office/smart_auth/1"
	RegistrationPath     = "/webservices/office/cuiregistration/1"
	OpInitiateLogin      = "InitiateLogin"
	OpForceLogout        = "ForceLogout"
	OpPutRegistration    = "PutRegistration"
	OpDeleteRegistration = "DeleteRegistration"
	// printerCallTimeout bounds one call to a printer.
	printerCallTimeout = 20 * time.Second
	wsseNS             = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
	wsuNS              = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
	passwordText       = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText"
)

// PrinterClient calls a printer's web services with its admin credentials
// in a WS-Security UsernameToken (PasswordText: the call is HTTPS).
type PrinterClient struct {
	HTTP     *http.Client // nil: http.DefaultClient
	Username string
	Password string
	Version  Version // 0: SOAP 1.2
}

// Registration is a panel app registration (cuiregistration).
type Registration struct {
	Name        string // shown on the panel
	URL         string // the app's entry point
	Description string
}

// Checksum identifies a registration's content: a printer keeps one
// registration per checksum, so a changed app is put under a new checksum
// and the old one deleted.
func (r Registration) Checksum() string {
	h := sha256.Sum256([]byte(r.Name + "\x00" + r.URL + "\x00" + r.Description))
	return hex.EncodeToString(h[:16])
}

// InitiateLogin asks the printer at base (https://host) to log u in now,
// e.g. after the user entered the printer's unlock code in the portal.
func (c *PrinterClient) InitiateLogin(ctx context.Context, base, sessionID string, u User) error {
	return c.call(ctx, base+SmartAuthPath, OpInitiateLogin,
		F("SessionId", sessionID), F("UserName", u.Email), F("DisplayName", displayName(u)))
}

// ForceLogout logs whoever is at the printer's panel out.
func (c *PrinterClient) ForceLogout(ctx context.Context, base string) error {
	return c.call(ctx, base+SmartAuthPath, OpForceLogout)
}

// Register puts reg on the printer and, when its checksum differs from
// previous (the one registered before, "" for none), deletes the old one.
// It returns the checksum to remember.
func (c *PrinterClient) Register(ctx context.Context, base string, reg Registration, previous string) (string, error) {
	sum := reg.Checksum()
	if previous == sum {
		return sum, nil
	}
	if err := c.call(ctx, base+RegistrationPath, OpPutRegistration,
		F("Checksum", sum), F("Name", reg.Name), F("Url", reg.URL), F("Description", reg.Description)); err != nil {
		return previous, err
	}
	if previous != "" {
		if err := c.Unregister(ctx, base, previous); err != nil {
			return sum, fmt.Errorf("eipauth: new registration put, old one not deleted: %w", err)
		}
	}
	return sum, nil
}

// Unregister deletes the registration with checksum.
func (c *PrinterClient) Unregister(ctx context.Context, base, checksum string) error {
	return c.call(ctx, base+RegistrationPath, OpDeleteRegistration, F("Checksum", checksum))
}

func (c *PrinterClient) security() []Field {
	nonce := make([]byte, 16)
	rand.Read(nonce)
	return []Field{{Name: `wsse:Security xmlns:wsse="` + wsseNS + `" xmlns:wsu="` + wsuNS + `"`, Children: []Field{
		{Name: "wsse:UsernameToken", Children: []Field{
			F("wsse:Username", c.Username),
			F(`wsse:Password Type="`+passwordText+`"`, c.Password),
			F("wsse:Nonce", base64.StdEncoding.EncodeToString(nonce)),
			F("wsu:Created", time.Now().UTC().Format(time.RFC3339)),
		}},
	}}}
}

func (c *PrinterClient) call(ctx context.Context, url, op string, fields ...Field) error {
	v := c.Version
	if v == 0 {
		v = SOAP12
	}
	ctx, cancel := context.WithTimeout(ctx, printerCallTimeout)
	defer cancel()
	body := Build(v, c.security(), op, fields...)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("eipauth: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", ContentType(v))
	if v == SOAP11 {
		req.Header.Set("SOAPAction", `"`+op+`"`)
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("eipauth: %s: %w", op, err)
	}
	defer resp.Body.Close()
	m, perr := Parse(io.LimitReader(resp.Body, MaxBody), resp.Header.Get("Content-Type"))
	if perr == nil && strings.EqualFold(m.Operation, "Fault") {
		return fmt.Errorf("eipauth: %s: printer answered a fault: %s", op, firstNonEmpty(m.Get("faultstring", "Text"), resp.Status))
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("eipauth: %s: printer answered %s", op, resp.Status)
	}
	return nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
