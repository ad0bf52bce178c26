// Which network addresses a webhook may reach: public ones only, unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES; checked on every address a request connects to, so a URL cannot reach the cluster's own services (SSRF).
import { lookup as dnsLookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * The ranges no user's webhook may reach, each with its source: every entry of IANA's IPv4 and IPv6
 * Special-Purpose Address Registries (RFC 6890, https://www.iana.org/assignments/iana-ipv4-special-registry and
 * iana-ipv6-special-registry, as of 2025) that is not "Globally Reachable", and, though the registries call them
 * global or leave them out, the ranges that are no single public host: multicast, anycast relays, deprecated
 * ranges, and the IPv6 forms that carry an IPv4 address to somewhere else (NAT64, 6to4, Teredo, IPv4-compatible).
 * A registry entry inside a wider blocked range (192.0.0.0/29 in 192.0.0.0/24, 2001:2::/48 in 2001::/23) is
 * covered by that range. Node's BlockList matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against the IPv4
 * ranges, so ::ffff:0:0/96 needs no entry of its own: a mapped public address stays public.
 */
const NON_PUBLIC_RANGES: readonly (readonly [network: string, prefix: number, source: string])[] = [
  ["0.0.0.0", 8, "RFC 791: this network"],
  ["10.0.0.0", 8, "RFC 1918: private use"],
  ["100.64.0.0", 10, "RFC 6598: shared address space (carrier-grade NAT)"],
  ["127.0.0.0", 8, "RFC 1122: loopback"],
  ["169.254.0.0", 16, "RFC 3927: link local (cloud metadata at 169.254.169.254)"],
  ["172.16.0.0", 12, "RFC 1918: private use"],
  ["192.0.0.0", 24, "RFC 6890: IETF protocol assignments (DS-Lite, NAT64 discovery, PCP and TURN anycast)"],
  ["192.0.2.0", 24, "RFC 5737: documentation (TEST-NET-1)"],
  ["192.31.196.0", 24, "RFC 7535: AS112-v4 (anycast sink, no single host)"],
  ["192.52.193.0", 24, "RFC 7450: AMT (anycast relays)"],
  ["192.88.99.0", 24, "RFC 7526: deprecated 6to4 relay anycast"],
  ["192.168.0.0", 16, "RFC 1918: private use"],
  ["192.175.48.0", 24, "RFC 7534: direct delegation AS112 service (anycast sink)"],
  ["198.18.0.0", 15, "RFC 2544: benchmarking"],
  ["198.51.100.0", 24, "RFC 5737: documentation (TEST-NET-2)"],
  ["203.0.113.0", 24, "RFC 5737: documentation (TEST-NET-3)"],
  ["224.0.0.0", 4, "RFC 5771: multicast"],
  ["240.0.0.0", 4, "RFC 1112: reserved, and 255.255.255.255/32 limited broadcast (RFC 919)"],
  ["::", 96, "RFC 4291 §2.5.5.1: deprecated IPv4-compatible; holds ::/128 unspecified and ::1/128 loopback"],
  ["::ffff:0:0:0", 96, "RFC 2765: IPv4-translated (SIIT)"],
  ["64:ff9b::", 96, "RFC 6052: IPv4/IPv6 translation (NAT64 well-known prefix)"],
  ["64:ff9b:1::", 48, "RFC 8215: local-use IPv4/IPv6 translation"],
  ["100::", 64, "RFC 6666: discard-only"],
  ["100:0:0:1::", 64, "IANA IPv6 special-purpose registry (2025): dummy IPv6 prefix"],
  ["2001::", 23, "RFC 2928: IETF protocol assignments (Teredo 2001::/32, benchmarking, ORCHID, AMT, AS112)"],
  ["2001:db8::", 32, "RFC 3849: documentation"],
  ["2002::", 16, "RFC 3056: 6to4"],
  ["2620:4f:8000::", 48, "RFC 7534: direct delegation AS112 service (anycast sink)"],
  ["3fff::", 20, "RFC 9637: documentation"],
  ["5f00::", 16, "RFC 9602: segment routing (SRv6) SIDs"],
  ["fc00::", 7, "RFC 4193: unique local"],
  ["fe80::", 10, "RFC 4291: link-local unicast"],
  ["fec0::", 10, "RFC 3879: deprecated site-local"],
  ["ff00::", 8, "RFC 4291: multicast"],
];

const NON_PUBLIC = new BlockList();
for (const [network, prefix] of NON_PUBLIC_RANGES) {
  NON_PUBLIC.addSubnet(network, prefix, isIP(network) === 4 ? "ipv4" : "ipv6");
}

/** Whether an IP address (v4 or v6, no brackets) is outside the public internet. Anything not an IP counts as not public. */
export function isNonPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return NON_PUBLIC.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** A webhook refused because its host is, or resolves only to, addresses outside the public internet. */
export class ForbiddenAddressError extends Error {
  override name = "ForbiddenAddressError";
}

/** The IP address a URL's hostname is written as (`[::1]` → `::1`), or undefined for a name. */
export function literalAddress(hostname: string): string | undefined {
  const bare = hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * A `lookup` for Node's http and https requests (net.connect's option) that resolves as usual and hands the
 * connection only the public addresses of the name, failing with a `ForbiddenAddressError` when there are none.
 * The check is on the very addresses the socket connects to, so a name that resolves differently between a check
 * and the connection (DNS rebinding) gains nothing. Literal IP hosts never reach a lookup: check them with
 * `literalAddress` and `isNonPublicAddress` first.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error) {
      callback(error, "", 0);
      return;
    }
    const allowed = addresses.filter((entry) => !isNonPublicAddress(entry.address));
    const first = allowed[0];
    if (!first) {
      const error = new ForbiddenAddressError(
        `${hostname} resolves only to addresses outside the public internet (${addresses.map((a) => a.address).join(", ")}); WEBHOOK_ALLOW_PRIVATE_ADDRESSES is off`,
      );
      callback(error as NodeJS.ErrnoException, "", 0);
      return;
    }
    // With `all`, net.connect (autoSelectFamily) takes every address; without, the first.
    if (options.all) (callback as unknown as (e: null, a: typeof allowed) => void)(null, allowed);
    else callback(null, first.address, first.family);
  });
};
