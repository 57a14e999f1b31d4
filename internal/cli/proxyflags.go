package cli

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sockit/sockit/proxy"
)

// proxyFlags are the flags of a command that dials through proxies:
// --proxy URL (repeated, or a comma list: a chain, in order), and ncat's
// --proxy HOST:PORT with --proxy-type and --proxy-auth.
type proxyFlags struct {
	urls      []string
	ca        string // --proxy-ca: the CA that signed https proxies' certificates
	insecure  bool   // --proxy-insecure: do not verify https proxies' certificates
	kind      string // --proxy-type: http, socks4, socks5 (ncat's words)
	auth      string // --proxy-auth: user[:pass]
	dnsRemote string // --proxy-dns
}

func (p *proxyFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&p.urls, "proxy", nil, "dial through this proxy: socks5://, socks5h://, socks4://, socks4a://, http:// or https://[USER:PASS@]HOST:PORT; repeat it (or give a comma list) for a chain, each hop reached through the one before")
	f.StringVar(&p.ca, "proxy-ca", "", "trust the https:// proxies' certificates signed by the CA in this PEM file")
	f.BoolVar(&p.insecure, "proxy-insecure", false, "do not verify the certificates of https:// proxies")
	f.StringVar(&p.kind, "proxy-type", "", "ncat's: the type of a --proxy given as HOST:PORT: http (the default), socks4 or socks5")
	f.StringVar(&p.auth, "proxy-auth", "", "ncat's: USER[:PASS] for a --proxy given as HOST:PORT")
	f.StringVar(&p.dnsRemote, "proxy-dns", "", "ncat's: where a --proxy given as HOST:PORT resolves names: local, remote (the default for socks5 here, as socks5h://)")
}

// chain is the proxies the flags name, or nil for none.
func (p *proxyFlags) chain() (*proxy.Chain, error) {
	if len(p.urls) == 0 {
		if p.kind != "" || p.auth != "" || p.dnsRemote != "" || p.ca != "" || p.insecure {
			return nil, usageErrorf("--proxy-type, --proxy-auth, --proxy-dns, --proxy-ca and --proxy-insecure describe a --proxy: give one")
		}
		return nil, nil
	}
	var values []string
	for _, v := range p.urls {
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u == "" {
				continue
			}
			if !strings.Contains(u, "://") {
				// ncat's form: HOST:PORT, with --proxy-type and --proxy-auth.
				scheme := map[string]string{"": "http", "http": "http", "socks4": "socks4a", "socks5": "socks5h"}[p.kind]
				if scheme == "" {
					return nil, usageErrorf("--proxy-type %s: want http, socks4 or socks5", p.kind)
				}
				switch p.dnsRemote {
				case "", "remote", "both":
				case "local", "none":
					scheme = strings.TrimSuffix(strings.TrimSuffix(scheme, "h"), "a")
				default:
					return nil, usageErrorf("--proxy-dns %s: want local or remote", p.dnsRemote)
				}
				if p.auth != "" {
					u = p.auth + "@" + u
				}
				u = scheme + "://" + u
			}
			values = append(values, u)
		}
	}
	hops, err := proxy.ParseList(values...)
	if err != nil {
		return nil, &usageError{err}
	}
	c := &proxy.Chain{Hops: hops}
	if p.ca != "" || p.insecure {
		c.TLS = &tls.Config{InsecureSkipVerify: p.insecure}
		if p.ca != "" {
			pem, err := os.ReadFile(p.ca)
			if err != nil {
				return nil, fmt.Errorf("--proxy-ca: %w", err)
			}
			c.TLS.RootCAs = x509.NewCertPool()
			if !c.TLS.RootCAs.AppendCertsFromPEM(pem) {
				return nil, usageErrorf("--proxy-ca %s: no PEM certificate in it", p.ca)
			}
		}
	}
	return c, nil
}
