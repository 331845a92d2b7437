// Who a client is, for counting. An address as Express gives it (req.ip,
// which believes X-Forwarded-For only as far as TRUST_PROXY says), reduced
// so that one client cannot pass for many: an IPv4-mapped IPv6 address is
// its IPv4 address, and an IPv6 address counts by its /64 (one subscriber's
// network: a host picks any address in it at will).
import { isIPv6 } from "node:net";
import type { IncomingMessage } from "node:http";

/** Express's compiled "trust proxy" function (app.get("trust proxy fn")). */
export type TrustFunction = (address: string, hop: number) => boolean;

export function addressKey(address: string | undefined): string {
  if (!address) return "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(":")}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, "::" expanded (a zone id dropped). */
function expandIPv6(address: string): string[] {
  const [head = "", tail] = address.split("%")[0]!.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill("0"), ...right].map((group) => group.toLowerCase().replace(/^0+(?=.)/, ""));
}

/**
 * The client address of a request Express has not seen (a websocket
 * upgrade), as Express's req.ip would give it: from the socket's address
 * back along X-Forwarded-For for as long as each hop is trusted.
 */
export function requestAddress(req: IncomingMessage, trust: TrustFunction): string | undefined {
  const socketAddress = req.socket.remoteAddress;
  if (!socketAddress) return undefined;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean)
    .reverse();
  const hops = [socketAddress, ...forwarded];
  let index = 0;
  while (index < hops.length - 1 && trust(hops[index]!, index)) index++;
  return hops[index];
}
