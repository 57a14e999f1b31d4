package endpoint

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"slices"
	"strings"
	"time"
)

func isTLSNetwork(n string) bool { return n == "tls" || n == "tls4" || n == "tls6" }

// overTCP is the plain TCP endpoint a tls endpoint runs over.
func (e Endpoint) overTCP() Endpoint {
	plain := e
	plain.Network = "tcp" + strings.TrimPrefix(e.Network, "tls")
	plain.Options.TLS = TLSOptions{}
	return plain
}

// dialTLS connects over TCP and completes a TLS handshake, verifying the
// server's certificate and name unless the options say not to.
func (e Endpoint) dialTLS(ctx context.Context) (net.Conn, error) {
	cfg, err := e.clientConfig()
	if err != nil {
		return nil, e.opError("dial", err)
	}
	c, err := e.overTCP().Dial(ctx)
	if err != nil {
		return nil, err
	}
	return e.handshakeTLSWith(ctx, c, cfg)
}

// handshakeTLS makes c, a TCP connection to e's server, a TLS client
// connection with e's options, its handshake done; it closes c if not.
func (e Endpoint) handshakeTLS(ctx context.Context, c net.Conn) (net.Conn, error) {
	cfg, err := e.clientConfig()
	if err != nil {
		c.Close()
		return nil, e.opError("dial", err)
	}
	return e.handshakeTLSWith(ctx, c, cfg)
}

func (e Endpoint) handshakeTLSWith(ctx context.Context, c net.Conn, cfg *tls.Config) (net.Conn, error) {
	tc := tls.Client(c, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, &net.OpError{Op: "handshake", Net: e.Network, Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: handshakeError(err)}
	}
	return tc, nil
}

// handshakeError adds what the user can do to the errors a dial's
// verification gives.
func handshakeError(err error) error {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("%w (trust its issuer with --ca FILE, or skip verification with --insecure)", err)
	case errors.As(err, &hostname):
		return fmt.Errorf("%w (dial the name it is valid for, or set ?servername=)", err)
	}
	return err
}

func (e Endpoint) clientConfig() (*tls.Config, error) {
	o := e.Options.TLS
	cfg := &tls.Config{MinVersion: max(o.MinVersion, tls.VersionTLS12), ServerName: o.ServerName, InsecureSkipVerify: o.Insecure, NextProtos: alpnList(o.ALPN)}
	if o.Cert != "" { // a client certificate, for a server that asks
		cert, err := tls.LoadX509KeyPair(o.Cert, o.Key)
		if err != nil {
			return nil, fmt.Errorf("tls client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(e.Address)
		if err != nil {
			return nil, err
		}
		cfg.ServerName = host
	}
	if o.CA != "" {
		pool, err := readCertPool(o.CA)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// readCertPool reads the PEM certificates in file.
func readCertPool(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read CA file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA file %s holds no PEM certificate", file)
	}
	return pool, nil
}

// TLSListener is what Listen returns for a tls endpoint: its connections
// are *tls.Conn, and the handshake happens on their first read or write.
type TLSListener struct {
	net.Listener
	// Certificate is the certificate the listener presents.
	Certificate *x509.Certificate
	// SelfSigned says Listen made the certificate, as no cert= was given.
	SelfSigned bool
	tcp        net.Listener // under TLS, for Options.ReadBack
}

// listenTLS listens over TCP and serves TLS with the endpoint's
// certificate, or a self-signed one made now.
func (e Endpoint) listenTLS(ctx context.Context) (net.Listener, error) {
	o := e.Options.TLS
	var cert tls.Certificate
	var err error
	selfSigned := o.Cert == ""
	if selfSigned {
		host, _, _ := net.SplitHostPort(e.Address)
		cert, err = SelfSigned(certNames(host), 7*24*time.Hour)
	} else {
		cert, err = tls.LoadX509KeyPair(o.Cert, o.Key)
	}
	if err != nil {
		return nil, e.opError("listen", fmt.Errorf("tls certificate: %w", err))
	}
	if cert.Leaf == nil {
		if cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, e.opError("listen", fmt.Errorf("tls certificate: %w", err))
		}
	}
	ln, err := e.overTCP().Listen(ctx)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{MinVersion: max(o.MinVersion, tls.VersionTLS12), Certificates: []tls.Certificate{cert}, NextProtos: alpnList(o.ALPN)}
	switch {
	case o.ClientCA != "":
		if cfg.ClientCAs, err = readCertPool(o.ClientCA); err != nil {
			ln.Close()
			return nil, e.opError("listen", err)
		}
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
		if o.VerifyClient {
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
		}
	case o.VerifyClient:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert // against the system's authorities
	}
	return &TLSListener{Listener: tls.NewListener(ln, cfg), Certificate: cert.Leaf, SelfSigned: selfSigned, tcp: ln}, nil
}

// certNames are the names a self-signed certificate for host is made
// for: host itself unless it is a wildcard, this machine's name, and the
// loopback names.
func certNames(host string) []string {
	var names []string
	if a, err := netip.ParseAddr(host); host != "" && (err != nil || !a.IsUnspecified()) {
		names = append(names, host)
	}
	names = append(names, "localhost", "127.0.0.1", "::1")
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// SelfSigned makes an ECDSA P-256 certificate for names (host names or IP
// addresses), signed by its own key and valid from now for validFor.
func SelfSigned(names []string, validFor time.Duration) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{ // no SerialNumber: CreateCertificate draws a random one
		Subject:               pkix.Name{CommonName: "sockit self-signed", Organization: []string{"sockit"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validFor),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // so that it can be given to --ca as its own issuer
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// Fingerprint is a certificate's SHA-256 fingerprint as openssl prints
// it: 32 hexadecimal bytes, upper case, between colons.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// CertificateNames lists the names and addresses a certificate is valid
// for, for messages.
func CertificateNames(cert *x509.Certificate) string {
	names := append([]string(nil), cert.DNSNames...)
	for _, ip := range cert.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 {
		return cert.Subject.CommonName
	}
	return strings.Join(names, ", ")
}

// Handshake completes the TLS handshake of c if it is a TLS connection,
// or wraps one (a wrapper has a NetConn method, as *tls.Conn and the
// idle and dump wrappers do); for any other connection it does nothing.
// ctx bounds the handshake.
func Handshake(ctx context.Context, c net.Conn) error {
	tc, ok := ConnAs[*tls.Conn](c)
	if !ok {
		return nil
	}
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("tls handshake with %s: %w", tc.RemoteAddr(), err)
	}
	return nil
}

func alpnList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// DescribeTLS says in a line what a TLS handshake agreed: the version,
// the cipher suite, the application protocol, the server name the client
// asked for, and the peer's certificate, if it sent one:
// "TLS 1.3, TLS_AES_128_GCM_SHA256, alpn h2, server name localhost, peer
// certificate client.example (SHA-256 12:AB:...)".
func DescribeTLS(cs tls.ConnectionState) string {
	parts := []string{tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite)}
	if cs.NegotiatedProtocol != "" {
		parts = append(parts, "alpn "+cs.NegotiatedProtocol)
	}
	if cs.ServerName != "" {
		parts = append(parts, "server name "+cs.ServerName)
	}
	if len(cs.PeerCertificates) > 0 {
		c := cs.PeerCertificates[0]
		parts = append(parts, "peer certificate "+CertificateNames(c)+" (SHA-256 "+Fingerprint(c)+")")
	}
	return strings.Join(parts, ", ")
}
