package endpoint

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Endpoint
	}{
		{"tcp", "tcp://127.0.0.1:7777", Endpoint{Network: "tcp", Address: "127.0.0.1:7777"}},
		{"tcp4", "tcp4://0.0.0.0:80", Endpoint{Network: "tcp4", Address: "0.0.0.0:80"}},
		{"tcp6", "tcp6://[::1]:7", Endpoint{Network: "tcp6", Address: "[::1]:7"}},
		{"tcp6 zone", "tcp://[fe80::1%lo]:80", Endpoint{Network: "tcp", Address: "[fe80::1%lo]:80"}},
		{"tcp host name", "tcp://localhost:0", Endpoint{Network: "tcp", Address: "localhost:0"}},
		{"tcp fqdn", "tcp://host.example.com.:80", Endpoint{Network: "tcp", Address: "host.example.com.:80"}},
		{"tcp any host", "tcp://:7777", Endpoint{Network: "tcp", Address: ":7777"}},
		{"udp", "udp://127.0.0.1:53", Endpoint{Network: "udp", Address: "127.0.0.1:53"}},
		{"udp4 any", "udp4://:9", Endpoint{Network: "udp4", Address: ":9"}},
		{"udp6", "udp6://[::1]:9", Endpoint{Network: "udp6", Address: "[::1]:9"}},
		{"unix absolute", "unix:///tmp/x.sock", Endpoint{Network: "unix", Address: "/tmp/x.sock"}},
		{"unix absolute one slash", "unix:/tmp/x.sock", Endpoint{Network: "unix", Address: "/tmp/x.sock"}},
		{"unix relative", "unix:rel/x.sock", Endpoint{Network: "unix", Address: "rel/x.sock"}},
		{"unix abstract", "unix:@name", Endpoint{Network: "unix", Address: "@name"}},
		{"unix abstract slashes", "unix://@name", Endpoint{Network: "unix", Address: "@name"}},
		{"unixgram", "unixgram:/tmp/g.sock", Endpoint{Network: "unixgram", Address: "/tmp/g.sock"}},
		{"unixpacket abstract", "unixpacket:@seq", Endpoint{Network: "unixpacket", Address: "@seq"}},
		{"unix longest path", "unix:/" + strings.Repeat("a", 106), Endpoint{Network: "unix", Address: "/" + strings.Repeat("a", 106)}},
		{"unix longest abstract", "unix:@" + strings.Repeat("a", 107), Endpoint{Network: "unix", Address: "@" + strings.Repeat("a", 107)}},
		{"shorthand host:port", "localhost:7777", Endpoint{Network: "tcp", Address: "localhost:7777"}},
		{"shorthand :port", ":7777", Endpoint{Network: "tcp", Address: ":7777"}},
		{"shorthand ipv6", "[::1]:80", Endpoint{Network: "tcp", Address: "[::1]:80"}},
		{"stdio", "-", Endpoint{Network: Stdio}},
		{"icmp", "icmp://0.0.0.0", Endpoint{Network: "icmp", Address: "0.0.0.0"}},
		{"icmp all", "icmp://", Endpoint{Network: "icmp", Address: "0.0.0.0"}},
		{"icmp name", "icmp://localhost", Endpoint{Network: "icmp", Address: "localhost"}},
		{"icmp6 brackets", "icmp6://[::]", Endpoint{Network: "icmp6", Address: "::"}},
		{"icmp6 bare", "icmp6://::1", Endpoint{Network: "icmp6", Address: "::1"}},
		{"icmp6 all", "icmp6://", Endpoint{Network: "icmp6", Address: "::"}},
		{"exec", "exec:grep -c a?b", Endpoint{Network: Exec, Address: "grep -c a?b"}},
		{"all tcp options", "tcp://127.0.0.1:0?reuseport&nodelay=0&rcvbuf=256k&sndbuf=4m&ttl=64&backlog=16&bind=127.0.0.2",
			Endpoint{Network: "tcp", Address: "127.0.0.1:0", Options: Options{
				ReusePort: true, NoDelay: ptr(false), RecvBuffer: 256 << 10, SendBuffer: 4 << 20, TTL: 64, Backlog: 16, Bind: "127.0.0.2",
			}}},
		{"nodelay flag", "tcp://h:1?nodelay", Endpoint{Network: "tcp", Address: "h:1", Options: Options{NoDelay: ptr(true)}}},
		{"udp options", "udp://:0?reuseport=true&ttl=1&bind=127.0.0.1:5000",
			Endpoint{Network: "udp", Address: ":0", Options: Options{ReusePort: true, TTL: 1, Bind: "127.0.0.1:5000"}}},
		{"udp6 bind", "udp6://[::1]:9?bind=[::1]", Endpoint{Network: "udp6", Address: "[::1]:9", Options: Options{Bind: "[::1]"}}},
		{"unix options", "unix:@x?backlog=4&rcvbuf=1024", Endpoint{Network: "unix", Address: "@x", Options: Options{Backlog: 4, RecvBuffer: 1024}}},
		{"unixgram bind", "unixgram:/tmp/c?bind=@me", Endpoint{Network: "unixgram", Address: "/tmp/c", Options: Options{Bind: "@me"}}},
		{"listen role", "tcp://:7?listen", Endpoint{Network: "tcp", Address: ":7", Options: Options{Role: RoleListen}}},
		{"dial role", "unix:@s?dial", Endpoint{Network: "unix", Address: "@s", Options: Options{Role: RoleDial}}},
		{"empty option items", "tcp://h:1?&ttl=5&", Endpoint{Network: "tcp", Address: "h:1", Options: Options{TTL: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
			again, err := Parse(got.String())
			if err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("Parse(%q.String() = %q) = %#v, %v; want the same endpoint", tt.in, got.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "empty address"},
		{"missing ://", "tcp//x:1", `missing "://" after scheme`},
		{"missing // after colon", "tcp:x:1", `missing "//" after "tcp:"`},
		{"unknown scheme", "foo://x:1", `unknown scheme "foo"`},
		{"icmp port", "icmp://127.0.0.1:7", "icmp addresses have no port"},
		{"icmp6 port", "icmp6://[::1]:7", "icmp6 addresses have no port"},
		{"icmp ipv6", "icmp://::1", "icmp needs an IPv4 address"},
		{"icmp6 ipv4", "icmp6://127.0.0.1", "icmp6 needs an IPv6 address"},
		{"icmp options", "icmp://0.0.0.0?rcvbuf=1m", "icmp addresses take no options"},
		{"icmp missing //", "icmp:0.0.0.0", `missing "//" after "icmp:"`},
		{"no port", "tcp://x", "missing :port"},
		{"empty port", "tcp://x:", "missing port number"},
		{"named port", "tcp://x:http", `port "http" is not a number`},
		{"port too big", "tcp://x:65536", `port "65536" is not a number from 0 to 65535`},
		{"signed port", "tcp://x:+80", `port "+80"`},
		{"no host:port", "udp://", "missing host:port"},
		{"bare ipv6", "tcp://::1:80", "IPv6 addresses need brackets"},
		{"open bracket", "tcp://[::1:80", `missing "]"`},
		{"bracket no port", "tcp://[::1]", "missing :port after ]"},
		{"bracketed ipv4", "tcp://[127.0.0.1]:80", "brackets are for IPv6"},
		{"tcp4 with ipv6", "tcp4://[::1]:80", "tcp4 needs an IPv4 address"},
		{"tcp6 with ipv4", "tcp6://127.0.0.1:80", "tcp6 needs an IPv6 address"},
		{"bad ipv6", "tcp://[zz::1]:80", "is not an IPv6 address"},
		{"port only", "7777", `did you mean ":7777"?`},
		{"word only", "localhost", "missing :port"},
		{"space in host", "tcp://bad host:80", "has the character ' '"},
		{"empty label", "tcp://a..b:80", "empty or over-long label"},
		{"path after port", "tcp://h:80/x", `port "80/x"`},
		{"unix no path", "unix:", "missing socket path"},
		{"unix relative after //", "unix://tmp/x", "must be absolute"},
		{"unix empty after //", "unix://", "must be absolute"},
		{"unix bare @", "unix:@", "missing abstract name"},
		{"unix path too long", "unix:/" + strings.Repeat("a", 107), "longer than the 107 Linux allows"},
		{"unix abstract too long", "unix:@" + strings.Repeat("a", 108), "longer than the 107 Linux allows"},
		{"unix NUL", "unix:a\x00b", "NUL byte"},
		{"unknown option", "tcp://h:1?foo", `unknown option "foo"`},
		{"exec without command", "exec: ", "exec: needs a command"},
		{"ttl zero", "tcp://h:1?ttl=0", "ttl=0: want a whole number from 1 to 255"},
		{"ttl too big", "tcp://h:1?ttl=256", "ttl=256"},
		{"ttl word", "tcp://h:1?ttl=x", "ttl=x"},
		{"backlog zero", "tcp://h:1?backlog=0", "backlog=0"},
		{"rcvbuf zero", "tcp://h:1?rcvbuf=0", "rcvbuf=0: want a size"},
		{"rcvbuf huge", "tcp://h:1?rcvbuf=2g", "rcvbuf=2g"},
		{"rcvbuf suffix only", "tcp://h:1?rcvbuf=k", "rcvbuf=k"},
		{"sndbuf negative", "tcp://h:1?sndbuf=-1", "sndbuf=-1"},
		{"option twice", "tcp://h:1?ttl=1&ttl=2", `option "ttl" given twice`},
		{"ttl on unix", "unix:/x?ttl=1", "ttl applies to tcp and udp, not unix"},
		{"reuseport on unixgram", "unixgram:/x?reuseport", "reuseport applies to tcp and udp"},
		{"nodelay on udp", "udp://h:1?nodelay", "nodelay applies to tcp, not udp"},
		{"listen and dial", "tcp://h:1?listen&dial", "listen and dial exclude each other"},
		{"listen with a value", "tcp://h:1?listen=1", "option listen takes no value"},
		{"backlog on udp", "udp://h:1?backlog=1", "backlog applies to listening"},
		{"backlog on unixgram", "unixgram:/x?backlog=1", "backlog applies to listening"},
		{"bad bool", "tcp://h:1?nodelay=maybe", "nodelay=maybe: want 1 or 0"},
		{"bind host name", "tcp://h:1?bind=localhost", `"localhost" is not an IP address`},
		{"bind family", "tcp4://h:1?bind=::1", "tcp4 needs an IPv4 address"},
		{"bind empty", "tcp://h:1?bind", "option bind needs an address"},
		{"icmp6 zone bracket", "icmp6://::%]", `zone "]" is not an interface name`},
		{"alpn empty name", "tls://h:1?alpn=h2,,x", "alpn=h2,,x: want protocol names"},
		{"join on tcp", "tcp://h:1?join", "option join applies to udp, not tcp"},
		{"source not an address", "udp://h:1?join&source=x", "option source=x: want the sender's IP address"},
		{"mttl zero", "udp://h:1?mttl=0", "mttl=0: want a whole number from 1 to 255"},
		{"iface empty", "udp://h:1?iface=", "option iface=: want an interface name"},
		{"minversion 1.1", "tls://h:1?minversion=1.1", "minversion=1.1: want 1.2 or 1.3"},
		{"clientca on tcp", "tcp://h:1?clientca=ca.pem", "clientca applies to tls, not tcp"},
		{"clientca empty", "tls://h:1?clientca=", "option clientca needs a value"},
		{"keepalive on udp", "udp://h:1?keepalive", "keepalive applies to tcp, not udp"},
		{"keepalive four parts", "tcp://h:1?keepalive=30s,5s,4,1", "keepalive=30s,5s,4,1: want on, off"},
		{"keepalive fraction", "tcp://h:1?keepalive=1.5s", `"1.5s" is not whole seconds`},
		{"keepalive count", "tcp://h:1?keepalive=30s,5s,x", `the count "x"`},
		{"linger fraction", "tcp://h:1?linger=1.5", "the kernel lingers whole seconds"},
		{"linger on udp", "udp://h:1?linger=0", "linger applies to tcp, unix and unixpacket"},
		{"tos word", "tcp://h:1?tos=fast", "tos=fast: want a byte (0-255, 0x10) or lowdelay"},
		{"tos too big", "tcp://h:1?tos=256", "tos=256"},
		{"dscp too big", "tcp://h:1?dscp=64", "dscp=64: want a code point from 0 to 63"},
		{"dscp tos keyword", "tcp://h:1?dscp=lowdelay", "dscp=lowdelay"},
		{"tos and dscp", "tcp://h:1?tos=1&dscp=1", "tos, dscp and tclass set one byte"},
		{"ttl and hoplimit", "tcp://h:1?ttl=1&hoplimit=1", "ttl and hoplimit are one option"},
		{"tos on unix", "unix:/x?tos=1", "tos applies to tcp and udp, not unix"},
		{"v6only on tcp4", "tcp4://h:1?v6only", "v6only applies to IPv6 sockets"},
		{"mark negative", "tcp://h:1?mark=-1", "mark=-1: want a whole number from 0 to 4294967295"},
		{"mark too big", "tcp://h:1?mark=0x100000000", "mark=0x100000000"},
		{"bindtodevice empty", "tcp://h:1?bindtodevice=", "want an interface name of 1 to 15 characters"},
		{"bindtodevice long", "tcp://h:1?bindtodevice=abcdefghijklmnop", "1 to 15 characters"},
		{"congestion odd", "tcp://h:1?congestion=a/b", "want an algorithm's name"},
		{"maxseg small", "tcp://h:1?maxseg=10", "maxseg=10: want a whole number from 88 to 65535"},
		{"user-timeout micro", "tcp://h:1?user-timeout=10us", "want whole milliseconds"},
		{"busy-poll nano", "tcp://h:1?busy-poll=10ns", "want whole microseconds"},
		{"broadcast on tcp", "tcp://h:1?broadcast", "broadcast applies to udp, not tcp"},
		{"fastopen zero", "tcp://h:1?fastopen=0", "fastopen=0: want a whole number from 1"},
		{"quickack on udp", "udp://h:1?quickack", "quickack applies to tcp"},
		{"bind bad port", "udp://h:1?bind=127.0.0.1:x", `port "x"`},
		{"bind unix empty abstract", "unix:/x?bind=@", "missing abstract name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.in)
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%q) error = %v, want a *ParseError", tt.in, err)
			}
			if perr.Input != tt.in || !strings.Contains(perr.Reason, tt.reason) {
				t.Fatalf("Parse(%q) = %q; want a reason containing %q", tt.in, err, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "bad address ") {
				t.Fatalf("Parse(%q) error %q does not start with \"bad address \"", tt.in, err)
			}
		})
	}
}

func TestEndpointType(t *testing.T) {
	tests := []struct {
		in       string
		want     string
		unix     bool
		abstract bool
	}{
		{"tcp://h:1", "SOCK_STREAM", false, false},
		{"udp6://[::1]:1", "SOCK_DGRAM", false, false},
		{"unix:/x", "SOCK_STREAM", true, false},
		{"unixgram:@x", "SOCK_DGRAM", true, true},
		{"unixpacket:x", "SOCK_SEQPACKET", true, false},
		{"icmp6://[::1]", "SOCK_RAW", false, false},
	}
	for _, tt := range tests {
		e := MustParse(tt.in)
		if got := e.Type().String(); got != tt.want || e.IsUnix() != tt.unix || e.IsAbstract() != tt.abstract {
			t.Errorf("%s: Type %s IsUnix %v IsAbstract %v; want %s %v %v", tt.in, got, e.IsUnix(), e.IsAbstract(), tt.want, tt.unix, tt.abstract)
		}
	}
	if typ := MustParse("-").Type(); typ != 0 {
		t.Errorf("Type of stdio = %v, want 0", typ)
	}
}

func TestStringCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{":7777", "tcp://:7777"},
		{"unix:/tmp/x", "unix:///tmp/x"},
		{"unix://@n", "unix:@n"},
		{"unixpacket:rel", "unixpacket:rel"},
		{"tcp://h:1?bind=127.0.0.1&ttl=3&reuseport=1", "tcp://h:1?reuseport&ttl=3&bind=127.0.0.1"},
		{"tcp://h:1?nodelay=off", "tcp://h:1?nodelay=0"},
		{"-", "-"},
		{"icmp://", "icmp://0.0.0.0"},
		{"icmp6://::1", "icmp6://[::1]"},
	}
	for _, tt := range tests {
		if got := MustParse(tt.in).String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommandWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"exec:cat", []string{"cat"}},
		{"exec:  grep  -c x ", []string{"grep", "-c", "x"}},
		{`exec:sh -c "wc -c; echo $X"`, []string{"sh", "-c", "wc -c; echo $X"}},
		{`exec:sh -c 'echo "a b"'`, []string{"sh", "-c", `echo "a b"`}},
		{`exec:echo a\ b "q\"uote" 'x'y`, []string{"echo", "a b", `q"uote`, "xy"}},
		{`exec:printf ""`, []string{"printf", ""}},
		{`exec:echo a\`, []string{"echo", `a\`}},                                               // sh keeps a final backslash
		{`exec:echo "\$HOME \` + "`" + `x\` + "`" + ` \n"`, []string{"echo", "$HOME `x` \\n"}}, // as sh: \$ \` escaped, \n kept
	}
	for _, tc := range tests {
		e, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		if got := e.Command(); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Parse(%q).Command() = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, in := range []string{`exec:sh -c 'x`, `exec:echo "x`} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), "unterminated") {
			t.Errorf("Parse(%q): %v, want an unterminated quote error", in, err)
		}
	}
}
