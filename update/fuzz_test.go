package update

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"
)

// FuzzDownload feeds releases and bodies as a relay (or anyone between)
// could send them: nothing panics, a large declared size does not allocate,
// and a download is accepted only when it is exactly what the key signed.
func FuzzDownload(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	body := []byte("#!/bin/sh\necho edgeprint 2.0.0\n")
	sum := sha256.Sum256(body)
	good := Release{Version: "2.0.0", OS: "linux", Arch: "amd64", Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])}
	good.Sign(priv)
	f.Add(good.Version, good.OS, good.Arch, good.Size, good.SHA256, good.Signature, body)
	f.Add(good.Version, good.OS, good.Arch, good.Size, good.SHA256, good.Signature, body[:len(body)-1])
	f.Add("9.9.9", good.OS, good.Arch, good.Size, good.SHA256, good.Signature, body)
	f.Add(good.Version, good.OS, good.Arch, int64(1<<62), good.SHA256, good.Signature, body)
	f.Add("", "", "", int64(-1), "", "!!", []byte{})

	f.Fuzz(func(t *testing.T, version, goos, arch string, size int64, sha, sig string, got []byte) {
		_ = Newer(version, "1.0.0")
		rel := Release{Version: version, OS: goos, Arch: arch, Size: size, SHA256: sha, Signature: sig}
		d := Dir{Path: t.TempDir()}
		path, err := d.Download(bytes.NewReader(got), rel, pub)
		if err != nil {
			if _, serr := os.Stat(d.staging()); serr == nil {
				t.Fatal("a rejected download left its staging file")
			}
			return
		}
		h := sha256.Sum256(got)
		if rel.VerifySignature(pub) != nil || int64(len(got)) != size || hex.EncodeToString(h[:]) != sha {
			t.Fatalf("accepted a download that is not what was signed: %+v", rel)
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, got) {
			t.Fatal("the staged file is not the body")
		}
	})
}
