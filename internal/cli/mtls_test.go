package cli_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/internal/testnet"
)

// testPKI is a certificate authority, a server certificate for
// 127.0.0.1 and a client certificate it signed, as PEM files.
type testPKI struct {
	ca, serverCert, serverKey, clientCert, clientKey string
}

func newTestPKI(t *testing.T) testPKI {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	now := time.Now()
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sockit test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(name string, usage x509.ExtKeyUsage, serial int64) (string, string) {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
			ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		if usage == x509.ExtKeyUsageServerAuth {
			tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return write(name+".pem", "CERTIFICATE", der), write(name+".key", "EC PRIVATE KEY", kder)
	}
	p := testPKI{ca: write("ca.pem", "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = leaf("server", x509.ExtKeyUsageServerAuth, 2)
	p.clientCert, p.clientKey = leaf("client", x509.ExtKeyUsageClientAuth, 3)
	return p
}

// sClient runs openssl s_client against addr with stdin; it sends stdin,
// then (at its end) closes the connection.
func sClient(t *testing.T, openssl, addr, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(testnet.Context(t), openssl, append([]string{"s_client", "-connect", addr, "-brief"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestMutualTLS: a listener that verifies clients (?clientca=&verifyclient)
// serves openssl s_client with a client certificate, prints what the
// handshake agreed under -v, and turns away a client without one.
func TestMutualTLS(t *testing.T) {
	openssl := testnet.PeerProgram(t, "openssl", "openssl")
	pki := newTestPKI(t)
	addr := "tls://127.0.0.1:0?cert=" + pki.serverCert + "&key=" + pki.serverKey + "&clientca=" + pki.ca + "&verifyclient&alpn=echo"

	p := startListen(t, "-v", addr)
	host := strings.TrimPrefix(p.addr.String(), "tls://")
	host, _, _ = strings.Cut(host, "?")
	out, err := sClient(t, openssl, host, "hello from s_client\n", "-cert", pki.clientCert, "-key", pki.clientKey, "-CAfile", pki.ca, "-alpn", "echo")
	if err != nil {
		t.Fatalf("s_client with a client certificate: %v\n%s", err, out)
	}
	p.waitOutput(t, "hello from s_client\n")
	p.stdin.Close()
	p.wait(t)
	for _, want := range []string{"#1 tls: TLS 1.3, TLS_", "alpn echo", "peer certificate client (SHA-256 "} {
		if !strings.Contains(p.errAll.String(), want) {
			t.Errorf("listen -v lacks %q:\n%s", want, p.errAll)
		}
	}

	p = startListen(t, "-v", addr)
	host = strings.TrimPrefix(p.addr.String(), "tls://")
	host, _, _ = strings.Cut(host, "?")
	out, _ = sClient(t, openssl, host, "no certificate\n", "-CAfile", pki.ca)
	line := p.waitLine(t, `^sockit: #1 .*(certificate|handshake|tls)`)
	if !strings.Contains(line, "certificate") {
		t.Errorf("a client without a certificate: listen said %q (s_client: %s)", line, out)
	}
	if strings.Contains(p.stdout.String(), "no certificate") {
		t.Error("a client without a certificate was served")
	}
}

// TestTLSListenerInputEndsAtOnce: a TLS listener whose standard input has
// ended sends no close_notify, which would make s_client stop: all that
// s_client sends arrives.
func TestTLSListenerInputEndsAtOnce(t *testing.T) {
	openssl := testnet.PeerProgram(t, "openssl", "openssl")
	p := startListen(t, "tls://127.0.0.1:0")
	p.stdin.Close() // nothing to send: the rule would shut down the write side at once
	host := strings.TrimPrefix(p.addr.String(), "tls://")
	msg := strings.Repeat("all of this must arrive\n", 200)
	if out, err := sClient(t, openssl, host, msg); err != nil {
		t.Fatalf("s_client: %v\n%s", err, out)
	}
	p.wait(t)
	if got := p.stdout.String(); got != msg {
		t.Errorf("listen printed %d bytes of the %d s_client sent", len(got), len(msg))
	}
}

// TestTLSDialClientCertificate: a dial with ?cert=&key= presents a client
// certificate to a listener that requires one; -v names the server's.
func TestTLSDialClientCertificate(t *testing.T) {
	pki := newTestPKI(t)
	p := startListen(t, "-v", "tls://127.0.0.1:0?cert="+pki.serverCert+"&key="+pki.serverKey+"&clientca="+pki.ca+"&verifyclient&minversion=1.3")
	host := strings.TrimPrefix(p.addr.String(), "tls://")
	host, _, _ = strings.Cut(host, "?")
	c := startCmdNoListen(t, exec.CommandContext(testnet.Context(t), sockitBin, "connect", "-v",
		"tls://"+host+"?cert="+pki.clientCert+"&key="+pki.clientKey+"&ca="+pki.ca))
	c.waitLine(t, `^sockit: tls: TLS 1\.3, .*peer certificate 127\.0\.0\.1 `)
	c.stdin.Write([]byte("mutual\n"))
	c.stdin.Close()
	p.waitOutput(t, "mutual\n")
	p.stdin.Close() // the listener ends, and then connect
	p.wait(t)
	if code := c.wait(t); code != 0 {
		t.Errorf("connect exit %d: %s", code, c.errAll)
	}
	if !strings.Contains(p.errAll.String(), "peer certificate client") {
		t.Errorf("listen -v did not see the client's certificate:\n%s", p.errAll)
	}
}
