// Which network addresses a webhook may reach: public ones only, unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES; checked on every address a request connects to, so a URL cannot reach the cluster's own services (SSRF).
import { lookup as dnsLookup } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

/**
 * The addresses no user's webhook may reach: IANA's special-purpose ranges that are not global (RFC 6890 and its
 * registries) — unspecified, loopback, private (RFC 1918, unique local fc00::/7), shared address space of carrier
 * NAT, link-local (the cloud metadata service at 169.254.169.254 among them), benchmarking, documentation,
 * multicast and reserved — and the IPv6 forms that carry an IPv4 address to somewhere else (NAT64, 6to4, Teredo).
 * Node's BlockList matches an IPv4-mapped IPv6 address (::ffff:a.b.c.d) against the IPv4 ranges.
 */
const NON_PUBLIC = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, "ipv4");
}
for (const [network, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 32],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const) {
  NON_PUBLIC.addSubnet(network, prefix, "ipv6");
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
