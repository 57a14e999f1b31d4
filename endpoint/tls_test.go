package endpoint_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sockit/sockit/endpoint"
	"github.com/sockit/sockit/internal/testnet"
)

// writeCert writes cert and its key as PEM files in dir.
func writeCert(t *testing.T, dir string, cert tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
	return certFile, keyFile
}

// serveTLS listens on addr and answers each connection: it reads to the
// end, then writes back what it read in upper case and closes.
func serveTLS(t *testing.T, addr string) *endpoint.TLSListener {
	t.Helper()
	ln, err := endpoint.MustParse(addr).Listen(testnet.Context(t))
	if err != nil {
		t.Fatal(err)
	}
	tl, ok := ln.(*endpoint.TLSListener)
	if !ok {
		t.Fatalf("Listen(%s) = %T, want *TLSListener", addr, ln)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			b, _ := io.ReadAll(c) // handshake failures end here too
			c.Write([]byte(strings.ToUpper(string(b))))
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return tl
}

func TestTLS(t *testing.T) {
	dir := t.TempDir()
	forOther, err := endpoint.SelfSigned([]string{"example.test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherCert, otherKey := writeCert(t, dir, forOther)
	// RFC 5280's serial: positive, at most 20 bytes, and not the same twice.
	again, err := endpoint.SelfSigned([]string{"example.test"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []tls.Certificate{forOther, again} {
		if sn := c.Leaf.SerialNumber; sn == nil || sn.Sign() <= 0 || len(sn.Bytes()) > 20 {
			t.Errorf("serial number %v, want positive and at most 20 bytes", sn)
		}
	}
	if forOther.Leaf.SerialNumber.Cmp(again.Leaf.SerialNumber) == 0 {
		t.Error("two self-signed certificates have the same serial number")
	}

	self := serveTLS(t, "tls://127.0.0.1:0")
	if !self.SelfSigned || !strings.Contains(endpoint.CertificateNames(self.Certificate), "127.0.0.1") {
		t.Fatalf("self-signed listener: SelfSigned %v, names %s", self.SelfSigned, endpoint.CertificateNames(self.Certificate))
	}
	selfCA := filepath.Join(dir, "self.pem")
	os.WriteFile(selfCA, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: self.Certificate.Raw}), 0o600)
	other := serveTLS(t, "tls://127.0.0.1:0?cert="+otherCert+"&key="+otherKey)
	if other.SelfSigned || endpoint.Fingerprint(other.Certificate) != endpoint.Fingerprint(forOther.Leaf) {
		t.Fatal("listener with cert= does not present that certificate")
	}

	tests := []struct {
		name    string
		ln      *endpoint.TLSListener
		query   string
		wantErr string // "" : the exchange works
	}{
		{"unknown issuer refused", self, "", "certificate signed by unknown authority (trust its issuer with --ca FILE"},
		{"insecure accepted", self, "?insecure", ""},
		{"trusted with ca", self, "?ca=" + selfCA, ""},
		{"wrong name refused", other, "?ca=" + otherCert, "(dial the name it is valid for, or set ?servername=)"},
		{"right servername", other, "?ca=" + otherCert + "&servername=example.test", ""},
		{"ca file missing", self, "?ca=" + filepath.Join(dir, "none.pem"), "read CA file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := endpoint.MustParse("tls://" + tt.ln.Addr().String() + tt.query)
			c, err := ep.Dial(testnet.Context(t))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Dial = %v, want an error with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "half-close")
			// The write side's end crosses TLS as close_notify: the server
			// reads to the end, then answers on the other direction.
			if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			if got, err := io.ReadAll(c); err != nil || string(got) != "HALF-CLOSE" {
				t.Errorf("read %q, %v", got, err)
			}
		})
	}
}

func TestTLSOptionErrors(t *testing.T) {
	for addr, want := range map[string]string{
		"tls://h:1?cert=a.pem":  "options cert and key go together",
		"tcp://h:1?ca=ca.pem":   "option ca applies to tls, not tcp",
		"tls://h:1?servername=": "option servername needs a value",
		"tls://h:1?insecure=2":  "option insecure=2: want 1 or 0",
	} {
		_, err := endpoint.Parse(addr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", addr, err, want)
		}
	}
	ln, err := endpoint.MustParse("tls://127.0.0.1:0?cert=/nonexistent.pem&key=/nonexistent.key").Listen(testnet.Context(t))
	if err == nil {
		ln.Close()
		t.Fatal("Listen with a missing certificate file succeeded")
	}
	var nerr *net.OpError
	if !errors.As(err, &nerr) || !strings.Contains(err.Error(), "tls certificate: open /nonexistent.pem") {
		t.Errorf("Listen with a missing certificate: %v", err)
	}
}
