package validate

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"keyconsole/internal/apikey"
)

const maxIPEntries = 200

// exampleEntries ends messages where a person may not know what is expected.
const exampleEntries = "enter an address (192.0.2.1), a CIDR (192.0.2.0/24) or an address and netmask (192.0.2.0 255.255.255.0)"

// IPEntries reads the allowed addresses, one entry per line; blank lines and
// lines starting with # are skipped. Every bad line is reported at once, so a
// long pasted list is fixed in one go. Empty input means any address (nil).
func IPEntries(raw string) ([]apikey.IPEntry, string) {
	type line struct {
		n    int
		text string
	}
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	raw = strings.ReplaceAll(raw, "\r", "\n")
	var lines []line
	for i, text := range strings.Split(raw, "\n") {
		text = strings.TrimSpace(text)
		if text != "" && !strings.HasPrefix(text, "#") {
			lines = append(lines, line{i + 1, text})
		}
	}
	if len(lines) > maxIPEntries {
		return nil, fmt.Sprintf("Too many entries: at most %d are allowed and there are %d. Line %d is the first over the limit; use CIDR ranges to cover several addresses.",
			maxIPEntries, len(lines), lines[maxIPEntries].n)
	}
	var out []apikey.IPEntry
	var problems []string
	seen := map[netip.Prefix]int{}
	for _, l := range lines {
		p, reason := ipEntry(l.text)
		if first, dup := seen[p]; reason == "" && dup {
			reason = fmt.Sprintf("same as line %d", first)
		}
		if reason != "" {
			problems = append(problems, fmt.Sprintf("Line %d %s: %s.", l.n, quote(l.text), reason))
			continue
		}
		seen[p] = l.n
		out = append(out, apikey.IPEntry{Prefix: p, Source: l.text})
	}
	if len(problems) > 0 {
		return nil, strings.Join(problems, " ")
	}
	return out, ""
}

// ipEntry parses one trimmed entry into its canonical network, or says why
// it cannot.
func ipEntry(text string) (netip.Prefix, string) {
	if strings.Contains(text, "%") {
		return netip.Prefix{}, "zones such as %eth0 are not allowed; remove the % and what follows it"
	}
	if strings.IndexFunc(text, notIPChar) >= 0 {
		return netip.Prefix{}, "this is not an IP address; " + exampleEntries
	}
	fields := strings.Fields(text)
	switch {
	case len(fields) == 2 && strings.Contains(fields[0], "/"):
		return netip.Prefix{}, "give either a prefix length or a netmask, not both"
	case len(fields) == 2:
		return withNetmask(fields[0], fields[1])
	case len(fields) > 2:
		return netip.Prefix{}, "too many parts; " + exampleEntries + ", one per line"
	}
	addr, after, hasSlash := strings.Cut(text, "/")
	switch {
	case !hasSlash:
		a, reason := ipAddr(addr)
		if reason != "" {
			return netip.Prefix{}, reason
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), ""
	case strings.Contains(after, "."):
		return withNetmask(addr, after)
	}
	return withBits(addr, after)
}

// notIPChar spots what cannot be part of an entry; checking first keeps the
// other messages about addresses, not about stray characters.
func notIPChar(r rune) bool {
	switch {
	case '0' <= r && r <= '9', 'a' <= r && r <= 'f', 'A' <= r && r <= 'F':
		return false
	}
	return !strings.ContainsRune(".:/ \t", r)
}

// ClientIP checks the address of a client whose request is verified or
// tested; empty means none given. The message says what is wrong.
func ClientIP(raw string) (netip.Addr, string) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return netip.Addr{}, ""
	}
	a, reason := ipAddr(s)
	if reason == "" && a.Zone() != "" {
		reason = "an address with a zone (%…) is not a client address"
	}
	if reason != "" {
		return netip.Addr{}, "Enter the client's IPv4 or IPv6 address, such as 192.0.2.10: " + reason + "."
	}
	return a.Unmap(), ""
}

func ipAddr(s string) (netip.Addr, string) {
	switch {
	case s == "":
		return netip.Addr{}, "the address is missing"
	case strings.Contains(s, ":"):
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Addr{}, "this is not a valid IPv6 address"
		}
		return a, ""
	}
	// The standard parser is as strict as ipv4 and allocates nothing; ipv4
	// runs only to explain a refusal.
	if a, err := netip.ParseAddr(s); err == nil {
		return a, ""
	}
	return ipv4(s)
}

// ipv4 parses a dotted IPv4 address strictly, explaining what is wrong: the
// standard parser only says that something is.
func ipv4(s string) (netip.Addr, string) {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return netip.Addr{}, fmt.Sprintf("expected 4 numbers separated by dots, found %d", len(parts))
	}
	var b [4]byte
	for i, p := range parts {
		switch {
		case p == "":
			return netip.Addr{}, "a number is missing between the dots"
		case !allDigits(p):
			return netip.Addr{}, fmt.Sprintf("%s is not a number", quote(p))
		case len(p) > 1 && p[0] == '0':
			// 010 is 10 to some programs and 8 (octal) to others.
			return netip.Addr{}, fmt.Sprintf("leading zeros are ambiguous; remove them from %s", clip(p))
		}
		n, err := strconv.Atoi(p)
		if err != nil || n > 255 {
			return netip.Addr{}, fmt.Sprintf("%s is out of range (0-255)", clip(p))
		}
		b[i] = byte(n)
	}
	return netip.AddrFrom4(b), ""
}

func withBits(addr, bitsText string) (netip.Prefix, string) {
	a, reason := ipAddr(addr)
	if reason != "" {
		return netip.Prefix{}, reason
	}
	if !allDigits(bitsText) || len(bitsText) > 1 && bitsText[0] == '0' {
		return netip.Prefix{}, "the prefix length after / must be a whole number without leading zeros, such as /24"
	}
	n, err := strconv.Atoi(bitsText)
	if err != nil || n > a.BitLen() {
		family := "IPv4"
		if a.Is6() {
			family = "IPv6"
		}
		return netip.Prefix{}, fmt.Sprintf("the prefix length /%s is out of range for %s (0-%d)", clip(bitsText), family, a.BitLen())
	}
	return network(netip.PrefixFrom(a, n))
}

func withNetmask(addr, mask string) (netip.Prefix, string) {
	a, reason := ipAddr(addr)
	if reason != "" {
		return netip.Prefix{}, reason
	}
	a = a.Unmap()
	if a.Is6() {
		return netip.Prefix{}, "a netmask can only follow an IPv4 address; write IPv6 networks as a CIDR, such as 2001:db8::/32"
	}
	m, reason := ipv4(mask)
	if reason != "" {
		// "192.168.0.0 24": a prefix length where a netmask goes.
		if n, err := strconv.Atoi(mask); err == nil && n >= 0 && n <= 32 {
			return netip.Prefix{}, fmt.Sprintf("a prefix length goes after a slash: write %s/%d, or the netmask %s", addr, n,
				net.IP(net.CIDRMask(n, 32)).String())
		}
		return netip.Prefix{}, "in the netmask, " + reason
	}
	m4 := m.As4()
	v := binary.BigEndian.Uint32(m4[:])
	ones := bits.LeadingZeros32(^v)
	if v<<ones != 0 {
		return netip.Prefix{}, fmt.Sprintf("the netmask %s is not contiguous: it must be ones followed by zeros, such as 255.255.255.0", m)
	}
	return network(netip.PrefixFrom(a, ones))
}

// network refuses a prefix with host bits set, since the person probably
// meant either the address or the network and only they know which, and
// unmaps IPv4-mapped IPv6 so the same network has one spelling.
func network(p netip.Prefix) (netip.Prefix, string) {
	if m := p.Masked(); m != p {
		return netip.Prefix{}, fmt.Sprintf("host bits are set; the network is %s", m)
	}
	// With fewer than 96 bits the ::ffff: part would be host bits, refused above.
	if a := p.Addr(); a.Is4In6() {
		p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p, ""
}
