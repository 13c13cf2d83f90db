/**
 * Is a URL's host a loopback, link-local, private or otherwise non-public address? Credentials must not be
 * sent there on a document's say-so (cloud metadata at 169.254.169.254, services on 127.0.0.1, the LAN).
 * Works on the hostname the WHATWG URL parser produced, which already turns other IPv4 notations
 * (`2130706433`, `0x7f.1`, `0177.0.0.1`) into dotted decimal and brackets IPv6. No DNS: a public name that
 * resolves to a private address is not caught here.
 */

/** IPv4 ranges that are not public unicast: [first octets as a number, prefix length, label]. */
const PRIVATE_V4: Array<[number, number, string]> = [
  [0x00000000, 8, 'a "this network" address (0.0.0.0/8)'],
  [0x0a000000, 8, 'a private address (10.0.0.0/8)'],
  [0x64400000, 10, 'a carrier-grade NAT address (100.64.0.0/10)'],
  [0x7f000000, 8, 'a loopback address (127.0.0.0/8)'],
  [0xa9fe0000, 16, 'a link-local address (169.254.0.0/16, cloud metadata)'],
  [0xac100000, 12, 'a private address (172.16.0.0/12)'],
  [0xc0000000, 24, 'an IETF protocol address (192.0.0.0/24)'],
  [0xc0a80000, 16, 'a private address (192.168.0.0/16)'],
  [0xc6120000, 15, 'a benchmarking address (198.18.0.0/15)'],
  [0xe0000000, 3, 'a multicast or reserved address (224.0.0.0/3)'],
];

function v4Number(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function classifyV4(n: number): string | undefined {
  for (const [base, bits, label] of PRIVATE_V4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((n & mask) >>> 0 === base) return label;
  }
  return undefined;
}

/** 8 groups of 16 bits from an IPv6 literal (without brackets), or undefined. */
function v6Groups(host: string): number[] | undefined {
  let text = host.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // A trailing dotted IPv4 part (::ffff:1.2.3.4) becomes two groups.
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const n = v4Number(dotted[2]!);
    if (n === undefined) return undefined;
    text = `${dotted[1]}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) =>
    s === '' ? [] : s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? head.length !== 8 : fill < 1) return undefined;
  const groups = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  return groups.some((g) => Number.isNaN(g)) ? undefined : groups;
}

function classifyV6(g: number[]): string | undefined {
  if (g.every((x) => x === 0)) return 'the unspecified address (::)';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'a loopback address (::1)';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses: judge the IPv4 part.
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    const label = classifyV4(((g[6]! << 16) >>> 0) + g[7]!);
    if (label) return label;
  }
  // NAT64 (64:ff9b::/96) embeds an IPv4 address too.
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    const label = classifyV4(((g[6]! << 16) >>> 0) + g[7]!);
    if (label) return label;
  }
  if ((g[0]! & 0xfe00) === 0xfc00) return 'a unique local address (fc00::/7)';
  if ((g[0]! & 0xffc0) === 0xfe80) return 'a link-local address (fe80::/10)';
  if ((g[0]! & 0xff00) === 0xff00) return 'a multicast address (ff00::/8)';
  return undefined;
}

/**
 * Why `hostname` (as `new URL(…).hostname` gives it) is not a public address, e.g. `a loopback address
 * (127.0.0.0/8)`; undefined for public addresses and ordinary DNS names.
 */
export function privateAddressReason(hostname: string): string | undefined {
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback name (localhost)';
  if (host.startsWith('[') && host.endsWith(']')) {
    const groups = v6Groups(host.slice(1, -1));
    return groups ? classifyV6(groups) : undefined;
  }
  const n = v4Number(host);
  if (n !== undefined) return classifyV4(n);
  // Not normalised by a URL parser (e.g. a bare option value): other IPv4 notations.
  if (/^(0x[0-9a-f]+|\d+)(\.(0x[0-9a-f]+|\d+)){0,3}$/.test(host)) {
    try {
      return privateAddressReason(new URL(`http://${host}/`).hostname);
    } catch {
      return undefined;
    }
  }
  if (host.includes(':')) {
    const groups = v6Groups(host);
    return groups ? classifyV6(groups) : undefined;
  }
  return undefined;
}

/** Why the host of an absolute URL is not public, or undefined (also for text that is not a URL). */
export function privateUrlReason(url: string | URL): string | undefined {
  try {
    return privateAddressReason((typeof url === 'string' ? new URL(url) : url).hostname);
  } catch {
    return undefined;
  }
}
