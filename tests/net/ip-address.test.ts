import { describe, expect, it } from "vitest";
import { classifyAddress, parseIPv6 } from "../../shared/net/ip-address.ts";
import { guardUrl } from "../../shared/net/url-guard.ts";

describe("classifyAddress", () => {
  it.each([
    ["93.184.216.34", "public"],
    ["8.8.8.8", "public"],
    ["172.32.0.1", "public"],
    ["192.169.0.1", "public"],
    ["100.63.255.255", "public"],
    ["2606:4700:4700::1111", "public"],
    ["2a00:1450:4001:80b::200e", "public"],
  ])("%s is public", (address, kind) => {
    expect(classifyAddress(address)?.kind).toBe(kind);
  });

  it.each([
    ["0.0.0.0", "unspecified"],
    ["127.0.0.1", "loopback"],
    ["127.255.255.254", "loopback"],
    ["10.0.0.1", "private"],
    ["172.16.0.1", "private"],
    ["172.31.255.255", "private"],
    ["192.168.1.1", "private"],
    ["100.64.0.1", "shared"],
    ["169.254.1.1", "link-local"],
    ["169.254.169.254", "metadata"],
    ["169.254.170.2", "metadata"],
    ["100.100.100.200", "metadata"],
    ["192.0.0.192", "metadata"],
    ["192.0.2.10", "documentation"],
    ["224.0.0.1", "multicast"],
    ["255.255.255.255", "reserved"],
    ["::", "unspecified"],
    ["::1", "loopback"],
    ["fe80::1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["fc00::1", "unique-local"],
    ["fd12:3456::1", "unique-local"],
    ["fd00:ec2::254", "metadata"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["2001::1", "reserved"],
    ["64:ff9b:1::1", "reserved"],
    ["4000::1", "reserved"],
  ])("%s is %s", (address, kind) => {
    expect(classifyAddress(address)?.kind).toBe(kind);
  });

  it.each([
    ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
    ["::ffff:7f00:1", "loopback", "127.0.0.1"],
    ["::ffff:a9fe:a9fe", "metadata", "169.254.169.254"],
    ["::10.0.0.1", "private", "10.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "metadata", "169.254.169.254"],
    ["64:ff9b::7f00:1", "loopback", "127.0.0.1"],
    ["2002:a9fe:a9fe::1", "metadata", "169.254.169.254"],
    ["2002:c0a8:0101::", "private", "192.168.1.1"],
    ["2002:5db8:d822::1", "public", "93.184.216.34"],
  ])("%s carries %s IPv4 %s", (address, kind, embedded) => {
    expect(classifyAddress(address)).toEqual({ kind, embedded });
  });

  it("is null for anything that is not an IP literal", () => {
    for (const text of ["localhost", "127.1", "0x7f000001", "", "1.2.3.4.5", "::g"]) {
      expect(classifyAddress(text), text).toBeNull();
    }
  });

  it("parses IPv6 with compression and a trailing dotted quad into the same bytes", () => {
    expect(parseIPv6("::ffff:127.0.0.1")).toEqual(parseIPv6("0:0:0:0:0:ffff:7f00:0001"));
    expect(Array.from(parseIPv6("1::2") ?? [])).toEqual([0, 1, ...Array(12).fill(0), 0, 2]);
  });
});

describe("guardUrl (static checks)", () => {
  it.each([
    ["http://2130706433/", "127.0.0.1"],
    ["http://0x7f000001/", "127.0.0.1"],
    ["http://0x7f.0.0.1/", "127.0.0.1"],
    ["http://0177.0.0.1/", "127.0.0.1"],
    ["http://127.1/", "127.0.0.1"],
    ["http://0/", "0.0.0.0"],
    ["http://[::ffff:127.0.0.1]/", "::ffff:7f00:1"],
  ])("reads %s as the address %s and refuses it", (url, address) => {
    expect(() => guardUrl(url)).toThrowError(
      expect.objectContaining({ reason: "address", details: expect.objectContaining({ address }) }),
    );
  });

  it("lets a public literal or a name through, with its port", () => {
    expect(guardUrl("https://93.184.216.34/x")).toMatchObject({
      host: "93.184.216.34",
      port: 443,
      literal: "93.184.216.34",
    });
    expect(guardUrl("http://Docs.Example.COM.:8080/a?b=1")).toMatchObject({
      host: "docs.example.com",
      port: 8080,
      literal: null,
    });
  });

  it("accepts a trusted address only when told to", () => {
    expect(() => guardUrl("http://127.0.0.1:1/")).toThrow(/loopback/);
    expect(guardUrl("http://127.0.0.1:1/", new Set(["127.0.0.1"])).literal).toBe("127.0.0.1");
  });
});
