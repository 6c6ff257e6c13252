import { isIP } from "node:net";

/** What an address is, for deciding whether Quarry may connect to it on a user's behalf. */
export type AddressKind =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "shared"
  | "link-local"
  | "metadata"
  | "unique-local"
  | "multicast"
  | "documentation"
  | "reserved";

export interface AddressClass {
  kind: AddressKind;
  /** The IPv4 address carried inside an IPv6 one (IPv4-mapped, IPv4-compatible, NAT64, 6to4). */
  embedded?: string;
}

/** Cloud instance-metadata endpoints: AWS, GCP, Azure, ECS, Alibaba, Oracle, AWS over IPv6. */
const METADATA = new Set([
  "169.254.169.254",
  "169.254.169.253",
  "169.254.169.123",
  "169.254.170.2",
  "100.100.100.200",
  "192.0.0.192",
  "fd00:ec2::254",
  "fd00:ec2::23",
]);

type Range = [prefix: number[], bits: number, kind: AddressKind];

/** IANA special-purpose IPv4 blocks that are not globally reachable (RFC 6890 and successors). */
const IPV4_RANGES: Range[] = [
  [[0], 8, "unspecified"],
  [[10], 8, "private"],
  [[100, 64], 10, "shared"],
  [[127], 8, "loopback"],
  [[169, 254], 16, "link-local"],
  [[172, 16], 12, "private"],
  [[192, 0, 0], 24, "reserved"],
  [[192, 0, 2], 24, "documentation"],
  [[192, 88, 99], 24, "reserved"],
  [[192, 168], 16, "private"],
  [[198, 18], 15, "reserved"],
  [[198, 51, 100], 24, "documentation"],
  [[203, 0, 113], 24, "documentation"],
  [[224], 4, "multicast"],
  [[240], 4, "reserved"],
];

/** IPv6 blocks refused outright; anything outside 2000::/3 (global unicast) is refused as well. */
const IPV6_RANGES: Range[] = [
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, "reserved"],
  [[0x01, 0x00], 64, "reserved"],
  [[0x20, 0x01, 0x0d, 0xb8], 32, "documentation"],
  [[0x20, 0x01], 23, "reserved"],
  [[0x3f, 0xff], 20, "documentation"],
  [[0xfc], 7, "unique-local"],
  [[0xfe, 0x80], 10, "link-local"],
  [[0xfe, 0xc0], 10, "private"],
  [[0xff], 8, "multicast"],
];

function inRange(bytes: Uint8Array | number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

/** Four bytes of a dotted-quad IPv4 literal, or null. */
export function parseIPv4(text: string): number[] | null {
  if (isIP(text) !== 4) return null;
  return text.split(".").map(Number);
}

/** Sixteen bytes of an IPv6 literal (with or without a trailing dotted quad or a zone), or null. */
export function parseIPv6(text: string): Uint8Array | null {
  const address = text.split("%", 1)[0] ?? "";
  if (isIP(address) !== 6) return null;
  let head = address;
  let tail: number[] = [];
  if (address.includes(".")) {
    const cut = address.lastIndexOf(":") + 1;
    tail = parseIPv4(address.slice(cut)) ?? [];
    if (tail.length !== 4) return null;
    head = `${address.slice(0, cut)}0:0`;
  }
  const [left = "", right] = head.split("::");
  const leftGroups = left === "" ? [] : left.split(":");
  const rightGroups = right === undefined || right === "" ? [] : right.split(":");
  const zeros = right === undefined ? 0 : 8 - leftGroups.length - rightGroups.length;
  const groups = [...leftGroups, ...Array<string>(zeros).fill("0"), ...rightGroups];
  if (groups.length !== 8) return null;
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return bytes;
}

function classifyIPv4(bytes: number[]): AddressKind {
  if (METADATA.has(bytes.join("."))) return "metadata";
  for (const [prefix, bits, kind] of IPV4_RANGES) if (inRange(bytes, prefix, bits)) return kind;
  return "public";
}

/** Canonical lowercase text of IPv6 bytes (RFC 5952: longest zero run compressed). */
function formatIPv6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}

/** The IPv4 address an IPv6 one carries, by the translation schemes a router or a host would honour. */
function embeddedIPv4(bytes: Uint8Array): number[] | null {
  const zeroTo = (end: number) => bytes.subarray(0, end).every((byte) => byte === 0);
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated but still routed by some stacks).
  if (zeroTo(10) && ((bytes[10] === 0xff && bytes[11] === 0xff) || (bytes[10] === 0 && bytes[11] === 0))) {
    return Array.from(bytes.subarray(12, 16));
  }
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix).
  if (inRange(bytes, [0x00, 0x64, 0xff, 0x9b], 96)) return Array.from(bytes.subarray(12, 16));
  // 2002:aabb:ccdd::/48 (6to4).
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return Array.from(bytes.subarray(2, 6));
  return null;
}

function classifyIPv6(bytes: Uint8Array): AddressClass {
  const text = formatIPv6(bytes);
  if (text === "::") return { kind: "unspecified" };
  if (text === "::1") return { kind: "loopback" };
  if (METADATA.has(text)) return { kind: "metadata" };
  const v4 = embeddedIPv4(bytes);
  if (v4) return { kind: classifyIPv4(v4), embedded: v4.join(".") };
  for (const [prefix, bits, kind] of IPV6_RANGES) if (inRange(bytes, prefix, bits)) return { kind };
  return inRange(bytes, [0x20], 3) ? { kind: "public" } : { kind: "reserved" };
}

/** Classifies an IP literal (IPv4 dotted quad or IPv6); null when `address` is not one. */
export function classifyAddress(address: string): AddressClass | null {
  const v4 = parseIPv4(address);
  if (v4) return { kind: classifyIPv4(v4) };
  const v6 = parseIPv6(address);
  return v6 ? classifyIPv6(v6) : null;
}

const PHRASES: Record<Exclude<AddressKind, "public">, string> = {
  unspecified: "an unspecified (this-host) address",
  loopback: "a loopback address",
  private: "a private network address",
  shared: "a carrier-grade NAT (shared) address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata address",
  "unique-local": "a unique-local IPv6 address",
  multicast: "a multicast address",
  documentation: "a documentation-only address",
  reserved: "a reserved address",
};

/** "a loopback address", "a cloud metadata address (IPv4 169.254.169.254 inside IPv6)". */
export function describeAddress(cls: AddressClass): string {
  if (cls.kind === "public") return "a public address";
  const phrase = PHRASES[cls.kind];
  return cls.embedded ? `${phrase} (IPv4 ${cls.embedded} inside IPv6)` : phrase;
}
