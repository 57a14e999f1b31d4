package cli

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/endpoint"
)

// tlsFlags are --ca and --insecure, for the tls:// addresses a command
// dials.
type tlsFlags struct {
	ca       string
	insecure bool
}

func (f *tlsFlags) add(cmd *cobra.Command) {
	fs := cmd.Flags()
	fs.StringVar(&f.ca, "ca", "", "tls:// dials trust the certificates in this PEM file instead of the system's")
	fs.BoolVar(&f.insecure, "insecure", false, "tls:// dials skip verifying the server's certificate and name (the fingerprint accepted is printed)")
}

// apply puts the flags into the tls endpoints among eps; flags with no
// tls endpoint to apply to are a usage error.
func (f *tlsFlags) apply(cmdName string, eps ...*endpoint.Endpoint) error {
	if f.ca == "" && !f.insecure {
		return nil
	}
	applied := false
	for _, ep := range eps {
		if !ep.IsTLS() {
			continue
		}
		if f.ca != "" {
			ep.Options.TLS.CA = f.ca
		}
		ep.Options.TLS.Insecure = ep.Options.TLS.Insecure || f.insecure
		applied = true
	}
	if !applied {
		return usageErrorf("%s: --ca and --insecure are for tls:// addresses", cmdName)
	}
	return nil
}

// reportInsecure tells the user which certificate an --insecure dial took
// on trust.
func reportInsecure(w io.Writer, ep endpoint.Endpoint, c net.Conn) {
	tc, ok := c.(*tls.Conn)
	if !ok || !ep.Options.TLS.Insecure {
		return
	}
	certs := tc.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return
	}
	fmt.Fprintf(w, "sockit: --insecure: accepted, unverified, a certificate for %s with SHA-256 fingerprint %s\n",
		endpoint.CertificateNames(certs[0]), endpoint.Fingerprint(certs[0]))
}

// reportCertificate tells the user which certificate a tls listener
// presents, so that clients can check its fingerprint.
func reportCertificate(w io.Writer, ln net.Listener) {
	tl, ok := ln.(*endpoint.TLSListener)
	if !ok {
		return
	}
	how := "from ?cert="
	if tl.SelfSigned {
		how = "self-signed, made now"
	}
	fmt.Fprintf(w, "sockit: TLS certificate for %s (%s), SHA-256 fingerprint %s\n",
		endpoint.CertificateNames(tl.Certificate), how, endpoint.Fingerprint(tl.Certificate))
}

// reportOptions prints, for -v, the socket options ep asked for as the
// kernel holds them on sock (read back with getsockopt): "sockit: options
// on 127.0.0.1:7: rcvbuf=212992 (asked 106496), ttl=7". Nothing if ep set
// none.
func reportOptions(w io.Writer, o endpoint.Options, sock any, on string) {
	settings, err := o.ReadBack(sock)
	if err != nil {
		fmt.Fprintf(w, "sockit: options: %v\n", err)
		return
	}
	if len(settings) == 0 {
		return
	}
	parts := make([]string, len(settings))
	for i, s := range settings {
		parts[i] = s.String()
		if s.Err != nil {
			parts[i] = s.Name + "=? (" + s.Err.Error() + ")"
		}
	}
	fmt.Fprintf(w, "sockit: options on %s: %s\n", on, strings.Join(parts, ", "))
}

// tlsState is the handshake state of c if it is a TLS connection, under
// any wrapper.
func tlsState(c net.Conn) (tls.ConnectionState, bool) {
	tc, ok := endpoint.ConnAs[*tls.Conn](c)
	if !ok {
		return tls.ConnectionState{}, false
	}
	return tc.ConnectionState(), true
}
