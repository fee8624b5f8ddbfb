package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/edgeprint/edgeprint/update"
)

func TestReleaseKeygenAndSign(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "release.key")
	var out bytes.Buffer
	if err := run(t.Context(), []string{"release", "keygen", "--out", key}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v %v", fi, err)
	}
	m := regexp.MustCompile(`EDGEPRINT_RELEASE_PUBKEY=(\S+)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no public key printed: %s", out.String())
	}
	pub, err := update.ParsePublicKey(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"release", "keygen", "--out", key}, strings.NewReader(""), &out, &out); err == nil {
		t.Fatal("keygen overwrote a key")
	}

	bin := filepath.Join(dir, "edgeprint")
	os.WriteFile(bin, []byte("binary"), 0o755)
	out.Reset()
	var errOut bytes.Buffer
	err = run(t.Context(), []string{"release", "sign", "--key", key, "--file", bin, "--version", "1.2.3", "--os", "linux", "--arch", "arm64"},
		strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	var rel update.Release
	if err := json.Unmarshal(out.Bytes(), &rel); err != nil {
		t.Fatal(err)
	}
	if rel.Version != "1.2.3" || rel.OS != "linux" || rel.Arch != "arm64" || rel.Size != 6 {
		t.Fatalf("release %+v", rel)
	}
	if err := rel.VerifySignature(pub); err != nil {
		t.Fatalf("signature: %v", err)
	}
}
