package endpoint

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, that every error is a
// *ParseError naming the input, and that an accepted address prints in a
// canonical form Parse reads back to the same Endpoint.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"tcp://127.0.0.1:7777", "tcp6://[::1]:7", "tcp://[fe80::1%lo]:80", "udp4://:9",
		"unix:///tmp/x.sock", "unix:rel", "unix:@n", "unixgram:/g?bind=@c", "unixpacket://@s",
		":7777", "localhost:80", "-", "file:/tmp/x?y", "exec:cat -n", "tcp//x:1", "tcp:x:1", "foo://x",
		"tcp://h:1?reuseport&nodelay=0&rcvbuf=256k&sndbuf=4m&ttl=64&backlog=16&bind=127.0.0.2",
		"udp6://[::1]:9?bind=[::1]:53", "tcp://h:1?bind=:0",
		"tls://example.com:443?ca=/etc/ca.pem&servername=x&insecure", "tls6://[::]:8443?cert=a.pem&key=a.key",
		"icmp://0.0.0.0", "icmp6://[fe80::1%lo]", "icmp6://::1", "icmp://",
		"tcp://h:1?keepalive=30s,5s,4&linger=0&tos=lowdelay&mark=0x2a&priority=3&bindtodevice=lo&congestion=reno",
		"tcp6://[::]:1?v6only=0&freebind&transparent&fastopen=16&maxseg=1000&user-timeout=1.5s&quickack&cork",
		"udp://h:1?broadcast&dscp=ef&busy-poll=50us&rcvbufforce=1m&sndbufforce=2m&reuseaddr=0&debug&hoplimit=9",
		"tcp://h:1?keepalive=off&linger=off&tclass=0x20", "tcp://h:1?keepalive&fastopen",
		"tls://h:1?cert=c.pem&key=c.key&clientca=ca.pem&verifyclient&alpn=h2,http/1.1&minversion=1.3",
		"udp4://239.1.2.3:5000?join&source=192.0.2.1&iface=eth0&mttl=4&mloop=0", "udp6://[ff02::1%lo]:9?join&iface=lo&mloop",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Parse(s)
		if err != nil {
			var perr *ParseError
			if !errors.As(err, &perr) || perr.Input != s || perr.Reason == "" {
				t.Fatalf("Parse(%q) error %#v is not a *ParseError naming the input", s, err)
			}
			return
		}
		if e.Network == "" || (e.Network != Stdio && e.Address == "") {
			t.Fatalf("Parse(%q) = %#v: empty network or address", s, e)
		}
		canon := e.String()
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) ok, but its String %q does not parse: %v", s, canon, err)
		}
		if !reflect.DeepEqual(again, e) {
			t.Fatalf("round trip of %q via %q:\n got %#v\nwant %#v", s, canon, again, e)
		}
		if again.String() != canon {
			t.Fatalf("String not stable: %q then %q", canon, again.String())
		}
		if e.Network != Stdio && !strings.Contains(canon, e.Address) {
			t.Fatalf("String %q lost the address %q", canon, e.Address)
		}
	})
}
