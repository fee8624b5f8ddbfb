package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// selfSignedLifetime is long because nobody renews a self-signed certificate;
// clients pin its key, not its dates.
const selfSignedLifetime = 10 * 365 * 24 * time.Hour

// LoadOrCreate returns the certificate in certFile/keyFile when both are set,
// else the self-signed pair in dir (name.crt, name.key), generating it for
// hosts the first time.
func LoadOrCreate(certFile, keyFile, dir, name string, hosts []string) (tls.Certificate, error) {
	if certFile != "" || keyFile != "" {
		if certFile == "" || keyFile == "" {
			return tls.Certificate{}, errors.New("certs: both a certificate and a key file are needed")
		}
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("certs: load %s: %w", certFile, err)
		}
		return c, nil
	}
	certFile = filepath.Join(dir, name+".crt")
	keyFile = filepath.Join(dir, name+".key")
	if c, err := tls.LoadX509KeyPair(certFile, keyFile); err == nil {
		return c, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return tls.Certificate{}, fmt.Errorf("certs: load %s: %w", certFile, err)
	}
	certPEM, keyPEM, err := SelfSigned(name, hosts)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: %w", err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: write key: %w", err)
	}
	if err := os.WriteFile(certFile, certPEM, 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("certs: write certificate: %w", err)
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// SelfSigned makes a P-256 certificate for hosts (names or IP addresses),
// PEM encoded. Loopback and "localhost" are always included so local tools
// connect without warnings about the name.
func SelfSigned(commonName string, hosts []string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("certs: serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"edgeprint"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(selfSignedLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range append([]string{"localhost", "127.0.0.1", "::1"}, hosts...) {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: create certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("certs: marshal key: %w", err)
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

// Fingerprint is the pin of a certificate: "sha256:" and the hex SHA-256 of
// its SubjectPublicKeyInfo.
func Fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// LeafFingerprint is Fingerprint of the first certificate of a chain.
func LeafFingerprint(c tls.Certificate) (string, error) {
	if len(c.Certificate) == 0 {
		return "", errors.New("certs: empty certificate chain")
	}
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return "", fmt.Errorf("certs: parse leaf: %w", err)
	}
	return Fingerprint(leaf), nil
}

// PinnedConfig returns a client TLS config that accepts exactly the server
// whose leaf certificate has fingerprint pin, whatever its issuer or name.
// With an empty pin it verifies against the system roots as usual.
func PinnedConfig(pin string) *tls.Config {
	if pin == "" {
		return &tls.Config{MinVersion: tls.VersionTLS12}
	}
	want := strings.ToLower(strings.TrimSpace(pin))
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The pin replaces chain verification: a self-signed relay has no
		// chain, and the pin is stronger than a CA for this one peer.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("certs: server sent no certificate")
			}
			if got := Fingerprint(cs.PeerCertificates[0]); got != want {
				return fmt.Errorf("certs: server certificate %s does not match the pinned %s", got, want)
			}
			return nil
		},
	}
}
