package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// ncRefusal is a flag of OpenBSD nc or ncat that sockit does not take, or
// takes under another name: it is accepted by the parser, hidden from
// help, and refused with what to type instead (refusedFlag).
type ncRefusal struct {
	short, long string
	value       bool   // takes a value
	why         string // what to type instead, or why not
	onConnect   bool   // refused on connect only (listen has its own meaning)
}

// ncRefusals are the flags of nc and ncat that connect and listen refuse,
// with the reason. The README's flag table lists them too.
func ncRefusals() []ncRefusal {
	return []ncRefusal{
		{short: "d", long: "detach", why: "nc's -d (do not read standard input) is --recv-only here; ncat's -d (a delay between writes) is not supported"},
		{long: "delay", value: true, why: "ncat's --delay (a wait between writes) is not supported"},
		{short: "t", long: "telnet", why: "telnet negotiation (nc -t, ncat -t) is not supported"},
		{short: "r", long: "randomize", why: "nc -r (ports in random order) is not supported: sockit scan takes port lists"},
		{short: "S", long: "md5sig", why: "TCP MD5 signatures (nc -S) are not supported"},
		{short: "V", long: "rtable", value: true, why: "routing tables (nc -V) are OpenBSD's; on Linux, mark the socket (?mark=N) and route by fwmark"},
		{short: "W", long: "recvlimit", value: true, why: "nc -W (stop after N packets) is not supported"},
		{short: "X", long: "proxy-proto", value: true, why: "nc's -X and -x: use --proxy socks5://HOST:PORT (or socks4://, http://); sockit's -x is a hex dump"},
		{short: "F", long: "pass-fd", why: "passing the socket's descriptor (nc -F) is not supported"},
		{short: "Z", long: "dccp", why: "DCCP (nc -Z) is not supported"},
		{short: "P", long: "proxy-user", value: true, why: "nc's -P: give the user in the proxy's URL: --proxy socks5://USER:PASS@HOST:PORT"},
		{short: "m", long: "minttl", value: true, onConnect: true, why: "nc's -m (a minimum TTL) is not supported; ncat's -m is --max-conns, on sockit listen"},
		{short: "o", long: "output", value: true, why: "ncat -o FILE: use --text, which dumps on standard error: 2>FILE"},
		{long: "hex-dump", value: true, why: "ncat --hex-dump FILE: use -x, which dumps on standard error: 2>FILE"},
		{long: "append-output", why: "the dumps (-x, --text) go to standard error: append with 2>>FILE"},
		{short: "g", value: true, why: "loose source routing (ncat -g, -G) is not supported: Linux drops such packets by default"},
		{short: "G", value: true, why: "loose source routing (ncat -g, -G) is not supported: Linux drops such packets by default"},
		{long: "ssl", why: "use a tls:// address: sockit connect tls://HOST:PORT, sockit listen tls://:PORT"},
		{long: "ssl-cert", value: true, why: "give the certificate on the tls:// address: ?cert=FILE&key=FILE"},
		{long: "ssl-key", value: true, why: "give the key on the tls:// address: ?cert=FILE&key=FILE"},
		{long: "ssl-verify", why: "tls:// dials verify the server already (--insecure turns it off)"},
		{long: "ssl-trustfile", value: true, why: "use --ca FILE (or ?ca=FILE)"},
		{long: "ssl-servername", value: true, why: "use ?servername=NAME on the tls:// address"},
		{long: "ssl-ciphers", value: true, why: "choosing TLS ciphers is not supported: Go's defaults apply"},
		{long: "ssl-alpn", value: true, why: "use ?alpn=P1,P2 on the tls:// address"},
		{long: "proxy", value: true, why: "--proxy is connect's: listen takes no proxy"},
		{long: "proxy-type", value: true, why: "--proxy-type is connect's: listen takes no proxy"},
		{long: "proxy-auth", value: true, why: "--proxy-auth is connect's: listen takes no proxy"},
		{long: "proxy-dns", value: true, why: "--proxy-dns is connect's: listen takes no proxy"},
		{long: "chat", why: "use sockit listen --broker: a chat room, without ncat's nicknames"},
		{long: "lua-exec", value: true, why: "use --exec or --sh-exec"},
		{long: "sctp", why: "SCTP is not supported"},
		{long: "vsock", why: "vsock sockets are not supported"},
		{long: "version", why: "use sockit version"},
	}
}

// refusedFlag records that a refused flag was given.
type refusedFlag struct {
	r   ncRefusal
	set *bool
}

func (f refusedFlag) String() string { return "" }
func (f refusedFlag) Set(string) error {
	*f.set = true
	return nil
}
func (f refusedFlag) Type() string {
	if f.r.value {
		return "string"
	}
	return "bool"
}

// addNCRefusals adds the refused flags of nc and ncat to cmd, hidden,
// and checks them before cmd runs: the first one given is a usage error
// saying why.
func addNCRefusals(cmd *cobra.Command, listening bool) {
	var list []ncRefusal
	for _, r := range ncRefusals() {
		if !(r.onConnect && listening) {
			list = append(list, r)
		}
	}
	addRefusals(cmd, list)
	cmd.Flags().SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		switch name {
		case "nodns": // ncat's -n
			name = "numeric"
		case "unixsock": // ncat's -U
			name = "unix"
		}
		return pflag.NormalizedName(name)
	})
}

// addRefusals adds refused flags to cmd, hidden, unless cmd has a flag of
// that name or letter, and checks them before cmd runs.
func addRefusals(cmd *cobra.Command, refusals []ncRefusal) {
	fs := cmd.Flags()
	var given []*refusedFlag
	for _, r := range refusals {
		if r.short != "" && fs.ShorthandLookup(r.short) != nil {
			continue // the command has a flag of its own by that letter
		}
		name := r.long
		if name == "" {
			name = "nc-" + r.short
		}
		if fs.Lookup(name) != nil {
			continue
		}
		f := &refusedFlag{r: r, set: new(bool)}
		flag := fs.VarPF(f, name, r.short, r.why)
		if !r.value {
			flag.NoOptDefVal = "true"
		}
		flag.Hidden = true
		given = append(given, f)
	}
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		for _, f := range given {
			if *f.set {
				return usageErrorf("%s: %s", refusedName(f.r), f.r.why)
			}
		}
		return run(c, args)
	}
}

func refusedName(r ncRefusal) string {
	switch {
	case r.short != "" && r.long != "":
		return "-" + r.short + "/--" + r.long
	case r.short != "":
		return "-" + r.short
	}
	return "--" + r.long
}
