import { isIP, connect as netConnect, type Socket } from "node:net";
import type { Network } from "../../shared/net/network.ts";

/**
 * Loopback only, decided here and not by the guard under test: 127.0.0.0/8 or ::1, as IP literals.
 * Deliberately a different (and simpler) test than the guard's classifier.
 */
export function isLoopbackLiteral(address: string): boolean {
  if (address === "::1") return true;
  return isIP(address) === 4 && address.split(".")[0] === "127";
}

export class TestNetworkRefusal extends Error {
  constructor(address: string) {
    super(`test network: refusing to connect to non-loopback ${address}`);
    this.name = "TestNetworkRefusal";
  }
}

export interface TestNetwork extends Network {
  /** Every name asked of the resolver. */
  readonly lookups: string[];
  /** Every connection asked for, including the refused ones. */
  readonly connects: { address: string; port: number }[];
}

/**
 * A network for tests: names resolve only through `hosts` (never the real DNS), and `connect` refuses
 * any address outside loopback before a socket exists, so even a broken guard cannot send traffic out.
 */
export function testNetwork(hosts: Record<string, string[]> = {}): TestNetwork {
  const lookups: string[] = [];
  const connects: { address: string; port: number }[] = [];
  return {
    lookups,
    connects,
    async resolve(host) {
      lookups.push(host);
      const addresses = hosts[host];
      if (!addresses)
        throw Object.assign(new Error(`test resolver: no such host ${host}`), { code: "ENOTFOUND" });
      return addresses;
    },
    connect(address, port) {
      connects.push({ address, port });
      if (!isLoopbackLiteral(address)) return Promise.reject(new TestNetworkRefusal(address));
      return new Promise<Socket>((resolve, reject) => {
        const socket = netConnect({ host: address, port });
        socket.once("connect", () => resolve(socket));
        socket.once("error", reject);
      });
    },
  };
}
