// Package ldaptest runs a real OpenLDAP slapd on loopback for tests: the
// Acme directory with users, groups, a badge attribute and a locked-out
// account, served over ldap:// (with StartTLS) and ldaps:// with a
// certificate from a CA made for the run.
package ldaptest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"

	"github.com/edgeprint/edgeprint/ldapauth"
)

// Timeouts of the harness.
const (
	startTimeout  = 15 * time.Second
	stopTimeout   = 5 * time.Second
	startAttempts = 3
)

// The seeded directory.
const (
	BaseDN          = "dc=acme,dc=example"
	ServiceDN       = "cn=edgeprint,ou=services,dc=acme,dc=example"
	ServicePassword = "svc-Qm4!kT9vW2"
	AdminGroupDN    = "cn=print-admins,ou=groups,dc=acme,dc=example"
	PrintingGroupDN = "cn=printing,ou=groups,dc=acme,dc=example"
	CardAttribute   = "employeeNumber"
)

// User is a seeded person.
type User struct {
	UID, Password, Email, Name, Card string
	Admin, Locked                    bool
}

// DN is the user's entry.
func (u User) DN() string { return "uid=" + u.UID + ",ou=people," + BaseDN }

// Seeded users. The passwords are distinctive so tests can look for them
// in logs and databases.
var (
	Alice = User{UID: "alice", Password: "Alice-pw-7e1f-LDAPONLY", Email: "alice@acme.example", Name: "Alice Example", Card: "12345678"}
	Bob   = User{UID: "bob", Password: "Bob-pw-93c2-LDAPONLY", Email: "bob@acme.example", Name: "Bob Admin", Card: "0A0B0C0D", Admin: true}
	Carol = User{UID: "carol", Password: "Carol-pw-5d8a-LDAPONLY", Email: "carol@acme.example", Name: "Carol Locked", Locked: true}
	Users = []User{Alice, Bob, Carol}
)

// Server is a running slapd.
type Server struct {
	// LDAPURL serves plain LDAP and StartTLS; LDAPSURL serves LDAPS.
	LDAPURL, LDAPSURL string
	// CAFile is the PEM of the CA that signed the server's certificate.
	CAFile string

	cmd  *exec.Cmd
	done chan error
	log  *bytes.Buffer
	once sync.Once
}

// Binary returns the path of slapd, or an error when it is not installed.
func Binary() (string, error) {
	if p, err := exec.LookPath("slapd"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/slapd", "/usr/local/sbin/slapd", "/usr/local/libexec/slapd"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("ldaptest: slapd not installed (Debian: slapd ldap-utils)")
}

// Start seeds a directory in dir and runs slapd on two free loopback ports
// until Stop.
func Start(dir string) (*Server, error) {
	slapd, err := Binary()
	if err != nil {
		return nil, err
	}
	ca, err := writeCerts(dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "db"), 0o700); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "slapd.conf")
	if err := writeTemplate(conf, slapdConf, map[string]string{"Dir": dir, "Base": BaseDN, "ModulePath": modulePath()}); err != nil {
		return nil, err
	}
	seed := filepath.Join(dir, "seed.ldif")
	if err := os.WriteFile(seed, []byte(seedLDIF()), 0o600); err != nil {
		return nil, err
	}
	slapadd := filepath.Join(filepath.Dir(slapd), "slapadd")
	if _, err := os.Stat(slapadd); err != nil {
		slapadd = "slapadd"
	}
	if out, err := exec.Command(slapadd, "-f", conf, "-l", seed).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("ldaptest: slapadd: %v\n%s", err, out)
	}
	// The ports are free when picked, but another process may take one
	// before slapd binds it: try again on new ones.
	for attempt := 1; ; attempt++ {
		run, err := launch(slapd, conf, ca)
		if err == nil || attempt == startAttempts {
			return run, err
		}
	}
}

// launch runs slapd on two free ports and waits until it listens.
func launch(slapd, conf, caFile string) (_ *Server, err error) {
	s := &Server{CAFile: caFile, done: make(chan error, 1), log: &bytes.Buffer{}}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	s.LDAPURL = fmt.Sprintf("ldap://127.0.0.1:%d", ports[0])
	s.LDAPSURL = fmt.Sprintf("ldaps://127.0.0.1:%d", ports[1])
	// -d 0: stay in the foreground, so the harness owns the process.
	s.cmd = exec.Command(slapd, "-f", conf, "-h", s.LDAPURL+"/ "+s.LDAPSURL+"/", "-d", "0")
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("ldaptest: start slapd: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	deadline := time.Now().Add(startTimeout)
	for _, p := range ports {
		for {
			c, derr := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", p), time.Second)
			if derr == nil {
				c.Close()
				break
			}
			select {
			case werr := <-s.done:
				s.done <- werr
				return nil, fmt.Errorf("ldaptest: slapd exited: %v\n%s", werr, s.log)
			case <-time.After(50 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("ldaptest: slapd did not listen on %d within %s", p, startTimeout)
			}
		}
	}
	return s, nil
}

// Stop ends slapd and waits for it.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.cmd == nil || s.cmd.Process == nil {
			return
		}
		_ = s.cmd.Process.Signal(os.Interrupt)
		select {
		case <-s.done:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
}

// Config is a directory configuration for this server: a search with the
// service account over StartTLS, groups by groupOfNames membership and the
// badge in employeeNumber.
func (s *Server) Config() ldapauth.Config {
	return ldapauth.Config{
		Domains:       []string{"acme.example", "ACME"},
		Servers:       []string{s.LDAPURL},
		StartTLS:      true,
		CAFile:        s.CAFile,
		BaseDN:        BaseDN,
		BindDN:        ServiceDN,
		BindPassword:  ServicePassword,
		GroupFilter:   "(&(objectClass=groupOfNames)(member={dn}))",
		AdminGroup:    AdminGroupDN,
		CardAttribute: CardAttribute,
		OpTimeout:     ldapauth.Duration(2 * time.Second),
		LoginTimeout:  ldapauth.Duration(5 * time.Second),
	}
}

var (
	shared    *Server
	sharedErr error
	sharedMu  sync.Mutex
	sharedDir string
)

// Shared starts one slapd for the whole test binary on first use; call
// StopShared from TestMain after m.Run. Without slapd the test is skipped,
// or fails when the environment variable CI is set.
func Shared(t testing.TB) *Server {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil && sharedErr == nil {
		if _, err := Binary(); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal(err)
			}
			t.Skip(err)
		}
		sharedDir, sharedErr = os.MkdirTemp("", "ldaptest-")
		if sharedErr == nil {
			shared, sharedErr = Start(sharedDir)
		}
	}
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return shared
}

// StopShared stops the slapd Shared started, if any, and removes its files.
func StopShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared != nil {
		shared.Stop()
		shared = nil
	}
	if sharedDir != "" {
		os.RemoveAll(sharedDir)
		sharedDir = ""
	}
}

func modulePath() string {
	for _, p := range []string{"/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap", "/usr/local/libexec/openldap"} {
		if _, err := os.Stat(filepath.Join(p, "back_mdb.so")); err == nil {
			return p
		}
	}
	return "/usr/lib/ldap"
}

// slapdConf loads back_mdb and ppolicy; ppolicy_use_lockout makes a bind
// to a locked account answer the accountLocked policy error.
const slapdConf = `include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath {{.ModulePath}}
moduleload back_mdb
moduleload ppolicy
pidfile {{.Dir}}/slapd.pid
argsfile {{.Dir}}/slapd.args
TLSCACertificateFile {{.Dir}}/ca.crt
TLSCertificateFile {{.Dir}}/server.crt
TLSCertificateKeyFile {{.Dir}}/server.key

database mdb
maxsize 16777216
suffix "{{.Base}}"
rootdn "cn=manager,{{.Base}}"
directory {{.Dir}}/db
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none

overlay ppolicy
ppolicy_default "cn=default,ou=policies,{{.Base}}"
ppolicy_use_lockout
`

func seedLDIF() string {
	var b strings.Builder
	fmt.Fprintf(&b, `dn: %[1]s
objectClass: top
objectClass: dcObject
objectClass: organization
o: Acme
dc: acme

dn: ou=people,%[1]s
objectClass: organizationalUnit
ou: people

dn: ou=groups,%[1]s
objectClass: organizationalUnit
ou: groups

dn: ou=services,%[1]s
objectClass: organizationalUnit
ou: services

dn: ou=policies,%[1]s
objectClass: organizationalUnit
ou: policies

dn: cn=default,ou=policies,%[1]s
objectClass: device
objectClass: pwdPolicy
cn: default
pwdAttribute: userPassword
pwdLockout: TRUE
pwdMaxFailure: 50

dn: %[2]s
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: edgeprint
userPassword: %[3]s

`, BaseDN, ServiceDN, ssha(ServicePassword))
	for _, u := range Users {
		fmt.Fprintf(&b, "dn: %s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: %s\ndisplayName: %s\nmail: %s\nuserPassword: %s\n",
			u.DN(), u.UID, u.Name, u.UID, u.Name, u.Email, ssha(u.Password))
		if u.Card != "" {
			fmt.Fprintf(&b, "%s: %s\n", CardAttribute, u.Card)
		}
		if u.Locked {
			// Locked by an administrator, for good (OpenLDAP ppolicy).
			b.WriteString("pwdAccountLockedTime: 000001010000Z\n")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "dn: %s\nobjectClass: groupOfNames\ncn: printing\n", PrintingGroupDN)
	for _, u := range Users {
		fmt.Fprintf(&b, "member: %s\n", u.DN())
	}
	fmt.Fprintf(&b, "\ndn: %s\nobjectClass: groupOfNames\ncn: print-admins\n", AdminGroupDN)
	for _, u := range Users {
		if u.Admin {
			fmt.Fprintf(&b, "member: %s\n", u.DN())
		}
	}
	return b.String()
}

// ssha is an OpenLDAP {SSHA} password hash, so the directory holds no
// plain password either.
func ssha(pw string) string {
	salt := make([]byte, 8)
	rand.Read(salt)
	sum := sha1.Sum(append([]byte(pw), salt...))
	return "{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...))
}

// writeCerts makes a CA and a server certificate for 127.0.0.1 and
// localhost signed by it, and returns the CA file.
func writeCerts(dir string) (string, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ldaptest CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", err
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	files := map[string][]byte{
		"ca.crt":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		"server.crt": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, "ca.crt"), nil
}

func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	var out []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func writeTemplate(path, text string, data any) error {
	var b bytes.Buffer
	if err := template.Must(template.New("").Parse(text)).Execute(&b, data); err != nil {
		return err
	}
	return os.WriteFile(path, b.Bytes(), 0o600)
}
