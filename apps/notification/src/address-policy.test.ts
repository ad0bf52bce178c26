// Unit tests of which addresses a webhook may reach: the public internet only.
import { describe, expect, it } from "vitest";
import { isNonPublicAddress, literalAddress } from "./address-policy";

describe("isNonPublicAddress", () => {
  it("refuses loopback, private, link-local (cloud metadata), carrier NAT, multicast and the IPv6 forms of them", () => {
    for (const address of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "224.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:127.0.0.1",
      "::ffff:a9fe:a9fe",
      "64:ff9b::a00:1",
      "::7f00:1",
      "::a9fe:a9fe",
      "::808:808",
      "2001::1",
      "2001:2::1",
      "2002:7f00:1::",
      "3fff::1",
      "5f00::1",
      "fec0::1",
      "ff02::1",
      "::ffff:0:7f00:1",
      "192.88.99.1",
      "192.0.0.9",
      "not an address",
    ]) {
      expect(isNonPublicAddress(address), address).toBe(true);
    }
  });

  it("allows public addresses", () => {
    for (const address of ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"]) {
      expect(isNonPublicAddress(address), address).toBe(false);
    }
  });
});

describe("webhook URLs with literal IPv6 hosts", () => {
  it("refuse the IPv4-compatible form, which the URL parser writes as ::7f00:1", () => {
    for (const url of ["http://[::127.0.0.1]/", "http://[::169.254.169.254]/", "http://[0:0:0:0:0:0:7f00:1]/"]) {
      const address = literalAddress(new URL(url).hostname);
      expect(address, url).toBeDefined();
      expect(isNonPublicAddress(address ?? ""), url).toBe(true);
    }
  });
});

describe("literalAddress", () => {
  it("reads IP hosts of URLs (brackets off, numeric IPv4 forms normalised by URL) and nothing from names", () => {
    expect(literalAddress(new URL("http://[::1]:8080/").hostname)).toBe("::1");
    expect(literalAddress(new URL("http://0x7f000001/").hostname)).toBe("127.0.0.1");
    expect(literalAddress(new URL("https://hooks.example.com/").hostname)).toBeUndefined();
  });
});
