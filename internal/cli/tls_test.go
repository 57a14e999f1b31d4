package cli_test

import (
	"crypto/x509"
	"encoding/pem"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
)

var fingerprintRE = regexp.MustCompile(`SHA-256 fingerprint ([0-9A-F:]{95})`)

// fingerprintIn is the first certificate fingerprint in s.
func fingerprintIn(t *testing.T, s string) string {
	t.Helper()
	m := fingerprintRE.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no fingerprint in %q", s)
	}
	return m[1]
}

// TestTLSListenConnect: a self-signed listener is refused by a verifying
// dial, accepted by --insecure with the same fingerprint printed, and a
// listener with ?cert=&key= is verified with --ca.
func TestTLSListenConnect(t *testing.T) {
	p := startListen(t, "-v", "tls://127.0.0.1:0")
	served := fingerprintIn(t, p.waitLine(t, `^sockit: TLS certificate for .* \(self-signed, made now\), SHA-256 fingerprint `))
	addr := "tls://" + p.addr.Address

	r := sockit(t, "refused\n", "connect", addr)
	if r.code != 1 || !strings.Contains(r.stderr, "x509: certificate signed by unknown authority (trust its issuer with --ca FILE, or skip verification with --insecure)") {
		t.Errorf("verifying connect to a self-signed listener: %+v", r)
	}
	p.waitLine(t, `^sockit: #1 tls handshake with 127\.0\.0\.1:\d+: remote error: tls: bad certificate$`)

	// The listener goes on to the next peer.
	io.WriteString(p.stdin, "from the listener\n")
	p.stdin.Close()
	r = sockit(t, "from the dialler\n", "connect", "-v", "--insecure", addr)
	if r.code != 0 || r.stdout != "from the listener\n" {
		t.Fatalf("connect --insecure: %+v", r)
	}
	if got := fingerprintIn(t, r.stderr); got != served {
		t.Errorf("--insecure printed fingerprint %s, the listener %s", got, served)
	}
	if code := p.wait(t); code != 0 || p.stdout.String() != "from the dialler\n" {
		t.Errorf("listen: exit %d, printed %q; stderr %q", code, p.stdout, p.errAll)
	}

	// A certificate of our own, trusted with --ca.
	dir := t.TempDir()
	certFile, keyFile := writeCertFiles(t, dir, "127.0.0.1")
	p = startListen(t, "tls://127.0.0.1:0?cert="+certFile+"&key="+keyFile)
	p.waitLine(t, `\(from \?cert=\)`)
	p.stdin.Close()
	r = sockit(t, "verified\n", "connect", "--ca", certFile, "tls://"+p.addr.Address)
	if r.code != 0 || r.stderr != "" {
		t.Errorf("connect --ca: %+v", r)
	}
	if code := p.wait(t); code != 0 || p.stdout.String() != "verified\n" {
		t.Errorf("listen: exit %d, printed %q", code, p.stdout)
	}
}

// writeCertFiles writes a self-signed certificate for names and its key.
func writeCertFiles(t *testing.T, dir string, names ...string) (certFile, keyFile string) {
	t.Helper()
	cert, err := endpoint.SelfSigned(names, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// TestTLSRelay terminates TLS in front of a plain echo server, and
// originates it towards a TLS listener, verifying it with --ca.
func TestTLSRelay(t *testing.T) {
	srv := startServe(t, 1, "tcp://127.0.0.1:0")
	front := startRelay(t, 1, "-k", "tls://127.0.0.1:0", srv.addrs[0])
	r := sockit(t, "through TLS\n", "connect", "--insecure", "tls://"+front.listening[0].Address)
	if r.code != 0 || r.stdout != "through TLS\n" {
		t.Errorf("connect through a TLS-terminating relay: %+v", r)
	}

	dir := t.TempDir()
	certFile, keyFile := writeCertFiles(t, dir, "localhost")
	back := startRelay(t, 1, "-k", "tls://127.0.0.1:0?cert="+certFile+"&key="+keyFile, srv.addrs[0])
	_, port, _ := strings.Cut(back.listening[0].Address, ":")
	origin := startRelay(t, 1, "-k", "--ca", certFile, "tcp://127.0.0.1:0", "tls://localhost:"+port)
	r = sockit(t, "plain in, TLS between\n", "connect", origin.listening[0].String())
	if r.code != 0 || r.stdout != "plain in, TLS between\n" {
		t.Errorf("connect through a TLS-originating relay: %+v", r)
	}
	r = sockit(t, "", "relay", "--ca", certFile, ":0", ":1")
	if r.code != 2 || !strings.Contains(r.stderr, "--ca and --insecure are for tls:// addresses") {
		t.Errorf("relay --ca without tls: %+v", r)
	}
}
