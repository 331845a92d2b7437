// What the request log line and the HTTP metrics know about a request beyond
// Express's own: the GraphQL operation (name and a hash of the query text,
// never the text: its literals may hold phone numbers), set by
// lib/graphql/operation-info.ts while grafserv reads the body.
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

export interface GraphQLRequestInfo {
  /** The operation's name (operationName, else the first named operation of the document), or null. */
  operationName: string | null;
  /** sha256 of the query text, 16 hex characters: groups the same document without logging it. */
  queryHash: string;
}

const infos = new WeakMap<IncomingMessage, GraphQLRequestInfo>();

export function setGraphQLInfo(req: IncomingMessage, info: GraphQLRequestInfo): void {
  infos.set(req, info);
}

export function graphQLInfo(req: IncomingMessage): GraphQLRequestInfo | undefined {
  return infos.get(req);
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]{0,99}$/;
// The first operation keyword followed by a name; comments removed first.
const FIRST_NAMED_OPERATION = /(?:^|[\s{}])(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

export function describeGraphQLBody(query: string, operationName: unknown): GraphQLRequestInfo {
  const queryHash = createHash("sha256").update(query).digest("hex").slice(0, 16);
  if (typeof operationName === "string" && operationName !== "") {
    return { operationName: NAME.test(operationName) ? operationName : "(invalid)", queryHash };
  }
  const named = FIRST_NAMED_OPERATION.exec(query.slice(0, 10_000).replace(/#[^\n\r]*/g, ""));
  return { operationName: named?.[1] ?? null, queryHash };
}
