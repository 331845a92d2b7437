// The fake's routing table: "POST /v1/prices/:id" patterns → handlers that
// return the stored object (or list) to answer with; the server renders it
// (copy + expand) and turns thrown FakeStripeErrors into Stripe's error JSON.
import type { Params } from "./forms.ts";
import type { Store } from "./store.ts";

export type Method = "GET" | "POST" | "DELETE";

export interface RouteContext {
  store: Store;
  params: Params;
  /** The `:name` segments of the path, in order. */
  args: string[];
  path: string;
}

export interface Route {
  method: Method;
  pattern: RegExp;
  handler: (context: RouteContext) => unknown;
}

export function route(method: Method, path: string, handler: Route["handler"]): Route {
  const pattern = new RegExp(`^${path.replace(/:[a-z_]+/g, "([^/]+)")}$`);
  return { method, pattern, handler };
}
