package validate

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

var ipCases = []struct {
	name    string
	in      string
	want    []string // canonical prefixes when accepted
	wantErr string   // a distinctive part of the message when refused
}{
	{name: "empty", in: ""},
	{name: "only comments and blanks", in: "\n  # office\n\n# vpn\n"},
	{name: "IPv4", in: "192.0.2.1", want: []string{"192.0.2.1/32"}},
	{name: "IPv6", in: "2001:db8::1", want: []string{"2001:db8::1/128"}},
	{name: "IPv6 upper case", in: "2001:DB8::A", want: []string{"2001:db8::a/128"}},
	{name: "CIDR v4", in: "10.0.0.0/8", want: []string{"10.0.0.0/8"}},
	{name: "CIDR v6", in: "2001:db8::/32", want: []string{"2001:db8::/32"}},
	{name: "any v4", in: "0.0.0.0/0", want: []string{"0.0.0.0/0"}},
	{name: "any v6", in: "::/0", want: []string{"::/0"}},
	{name: "netmask with space", in: "10.1.2.0 255.255.255.0", want: []string{"10.1.2.0/24"}},
	{name: "netmask with tab and spaces", in: "10.1.2.0 \t 255.255.255.0", want: []string{"10.1.2.0/24"}},
	{name: "netmask with slash", in: "10.1.2.0/255.255.255.0", want: []string{"10.1.2.0/24"}},
	{name: "netmask all ones", in: "10.1.2.3 255.255.255.255", want: []string{"10.1.2.3/32"}},
	{name: "netmask zero", in: "0.0.0.0 0.0.0.0", want: []string{"0.0.0.0/0"}},
	{name: "IPv4-mapped IPv6 unmapped", in: "::ffff:192.0.2.1", want: []string{"192.0.2.1/32"}},
	{name: "IPv4-mapped IPv6 CIDR unmapped", in: "::ffff:192.0.2.0/120", want: []string{"192.0.2.0/24"}},
	{name: "IPv4-mapped IPv6 with netmask", in: "::ffff:192.0.2.0 255.255.255.0", want: []string{"192.0.2.0/24"}},
	{name: "comments, blanks, CRLF, spaces", in: "# office\r\n\r\n  192.0.2.1  \r\n# vpn\n10.0.0.0/8\n\n", want: []string{"192.0.2.1/32", "10.0.0.0/8"}},
	{name: "overlap is fine", in: "10.0.0.0/8\n10.1.0.0/16", want: []string{"10.0.0.0/8", "10.1.0.0/16"}},

	{name: "leading zero", in: "010.0.0.1", wantErr: "Line 1 “010.0.0.1”: leading zeros are ambiguous"},
	{name: "leading zeros", in: "10.0.0.00", wantErr: "leading zeros are ambiguous; remove them from 00"},
	{name: "octet over 255", in: "10.0.0.256", wantErr: "Line 1 “10.0.0.256”: 256 is out of range (0-255)."},
	{name: "huge octet", in: "10.0.0.99999999999999999999", wantErr: "99999999999999999999 is out of range (0-255)"},
	{name: "three octets", in: "10.0.0", wantErr: "expected 4 numbers separated by dots, found 3"},
	{name: "five octets", in: "10.0.0.0.1", wantErr: "expected 4 numbers separated by dots, found 5"},
	{name: "bare number", in: "167772161", wantErr: "found 1"},
	{name: "empty octet", in: "10..0.1", wantErr: "a number is missing between the dots"},
	{name: "hex octet", in: "10.0.0.ab", wantErr: "“ab” is not a number"},
	{name: "v4 prefix too long", in: "10.0.0.0/33", wantErr: "the prefix length /33 is out of range for IPv4 (0-32)"},
	{name: "v6 prefix too long", in: "2001:db8::/129", wantErr: "the prefix length /129 is out of range for IPv6 (0-128)"},
	{name: "huge prefix", in: "10.0.0.0/99999999999999999999", wantErr: "out of range for IPv4"},
	{name: "prefix not a number", in: "10.0.0.0/a", wantErr: "the prefix length after / must be a whole number"},
	{name: "prefix empty", in: "10.0.0.0/", wantErr: "the prefix length after / must be a whole number"},
	{name: "prefix leading zero", in: "10.0.0.0/08", wantErr: "without leading zeros"},
	{name: "prefix twice", in: "10.0.0.0/8/9", wantErr: "must be a whole number"},
	{name: "address missing", in: "/24", wantErr: "the address is missing"},
	{name: "non-contiguous netmask", in: "10.0.0.0 255.0.255.0", wantErr: "the netmask 255.0.255.0 is not contiguous"},
	{name: "non-contiguous netmask slash", in: "10.0.0.0/255.255.0.255", wantErr: "not contiguous"},
	{name: "bad netmask octet", in: "10.0.0.0 255.256.0.0", wantErr: "in the netmask, 256 is out of range (0-255)"},
	{name: "netmask leading zero", in: "10.0.0.0 255.255.255.00", wantErr: "in the netmask, leading zeros"},
	{name: "prefix length after a space", in: "192.168.0.0 24", wantErr: "a prefix length goes after a slash: write 192.168.0.0/24, or the netmask 255.255.255.0"},
	{name: "prefix and netmask", in: "10.0.0.0/8 255.0.0.0", wantErr: "give either a prefix length or a netmask, not both"},
	{name: "too many parts", in: "10.0.0.0 255.0.0.0 1", wantErr: "too many parts"},
	{name: "host bits in CIDR", in: "10.0.0.1/8", wantErr: "Line 1 “10.0.0.1/8”: host bits are set; the network is 10.0.0.0/8."},
	{name: "host bits in v6 CIDR", in: "2001:db8::1/32", wantErr: "the network is 2001:db8::/32"},
	{name: "host bits with netmask", in: "10.0.0.1 255.0.0.0", wantErr: "the network is 10.0.0.0/8"},
	{name: "mapped CIDR below 96", in: "::ffff:10.0.0.0/80", wantErr: "host bits are set; the network is ::/80"},
	{name: "zone", in: "fe80::1%eth0", wantErr: "zones such as %eth0 are not allowed"},
	{name: "zone with CIDR", in: "fe80::%eth0/64", wantErr: "zones such as %eth0"},
	{name: "netmask after IPv6", in: "2001:db8:: 255.255.0.0", wantErr: "a netmask can only follow an IPv4 address"},
	{name: "netmask after IPv6 slash", in: "2001:db8::/255.255.0.0", wantErr: "a netmask can only follow an IPv4 address"},
	{name: "bad IPv6", in: "2001:db8:::1", wantErr: "not a valid IPv6 address"},
	{name: "hostname", in: "example.com", wantErr: "this is not an IP address; enter an address"},
	{name: "range", in: "10.0.0.1-10.0.0.9", wantErr: "this is not an IP address"},
	{name: "unicode line separator", in: "10.0.0.1\u202810.0.0.2", wantErr: "this is not an IP address"},
	{name: "duplicate", in: "10.0.0.1\n10.0.0.1/32", wantErr: "Line 2 “10.0.0.1/32”: same as line 1."},
	{name: "duplicate after comment", in: "# a\n10.0.0.0/8\n\n10.0.0.0 255.0.0.0", wantErr: "Line 4 “10.0.0.0 255.0.0.0”: same as line 2."},
	{name: "duplicate mapped", in: "192.0.2.1\n::ffff:192.0.2.1", wantErr: "same as line 1"},
	{name: "several bad lines", in: "010.0.0.1\n10.0.0.0/8\n10.0.0.256",
		wantErr: "Line 1 “010.0.0.1”: leading zeros are ambiguous; remove them from 010. Line 3 “10.0.0.256”: 256 is out of range (0-255)."},
	{name: "long line is cut", in: strings.Repeat("1.", 100), wantErr: "“" + strings.Repeat("1.", 30) + "…”"},
}

func TestIPEntries(t *testing.T) {
	for _, c := range ipCases {
		t.Run(c.name, func(t *testing.T) {
			got, msg := IPEntries(c.in)
			checkMsg(t, msg, c.wantErr)
			var prefixes []string
			for _, e := range got {
				prefixes = append(prefixes, e.Prefix.String())
			}
			if !slices.Equal(prefixes, c.want) {
				t.Errorf("got %v, want %v", prefixes, c.want)
			}
		})
	}
}

func TestIPEntriesSource(t *testing.T) {
	got, msg := IPEntries("  10.1.2.0   255.255.255.0 \n2001:DB8::/32")
	if msg != "" {
		t.Fatal(msg)
	}
	if got[0].Source != "10.1.2.0   255.255.255.0" || got[1].Source != "2001:DB8::/32" {
		t.Fatalf("sources %q, %q", got[0].Source, got[1].Source)
	}
	if got[1].Prefix != netip.MustParsePrefix("2001:db8::/32") {
		t.Fatalf("prefix %v", got[1].Prefix)
	}
}

func TestIPEntriesLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("# allowed\n")
	for i := range 200 {
		fmt.Fprintf(&b, "10.0.%d.%d\n", i/256, i%256)
	}
	got, msg := IPEntries(b.String())
	if msg != "" || len(got) != 200 {
		t.Fatalf("200 entries: %d accepted, message %q", len(got), msg)
	}
	b.WriteString("10.1.0.0\n10.1.0.1\n")
	got, msg = IPEntries(b.String())
	checkMsg(t, msg, "at most 200 are allowed and there are 202. Line 202 is the first over the limit")
	if got != nil {
		t.Fatal("entries returned with a message")
	}
}

func TestClientIP(t *testing.T) {
	for _, c := range []struct{ in, want, wantErr string }{
		{"", "invalid IP", ""},
		{" 192.0.2.10 ", "192.0.2.10", ""},
		{"::ffff:192.0.2.10", "192.0.2.10", ""},
		{"2001:db8::1", "2001:db8::1", ""},
		{"192.168.1.300", "", "300 is out of range"},
		{"010.0.0.1", "", "leading zero"},
		{"fe80::1%eth0", "", "zone"},
		{"nonsense", "", "Enter the client's IPv4 or IPv6 address"},
	} {
		got, msg := ClientIP(c.in)
		if c.wantErr != "" {
			if !strings.Contains(msg, c.wantErr) {
				t.Errorf("%q: message %q, want %q", c.in, msg, c.wantErr)
			}
			continue
		}
		if msg != "" || got.String() != c.want {
			t.Errorf("%q: %v %q, want %s", c.in, got, msg, c.want)
		}
	}
}
