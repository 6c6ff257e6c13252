import { lookup } from "node:dns/promises";
import { connect as netConnect, type Socket } from "node:net";

/**
 * The two network steps the safe fetcher takes, injectable so tests can pin both: name resolution, and
 * opening a TCP connection to one IP literal the guard has already checked.
 */
export interface Network {
  /**
   * Every IP literal `host` resolves to; the fetcher checks them all before using any. Rejects with an
   * errno-style `code` (ENOTFOUND…) when the name does not resolve.
   */
  resolve(host: string): Promise<string[]>;
  /** A connected socket to `address` (an IP literal, never a name); rejects when it cannot connect. */
  connect(address: string, port: number): Promise<Socket>;
}

/** The machine's resolver (getaddrinfo, as everything else on the host sees names) and plain TCP. */
export const systemNetwork: Network = {
  async resolve(host) {
    const answers = await lookup(host, { all: true, verbatim: true });
    return answers.map((answer) => answer.address);
  },
  connect(address, port) {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: address, port });
      socket.once("connect", () => {
        socket.removeListener("error", reject);
        resolve(socket);
      });
      socket.once("error", reject);
    });
  },
};
