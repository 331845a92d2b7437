// A request's route as a label for logs and metrics: the route's pattern
// ("/e/:token", never the token: it is the customer's secret), a fixed name
// for the GraphQL endpoint, and one bucket for whatever matched no route.
import type { Request, Response } from "express";

export function routeLabel(req: Request, res: Response): string {
  const path = req.originalUrl.split("?", 1)[0] ?? "";
  if (path === "/graphql") return "/graphql";
  const route = (req as { route?: { path?: unknown } }).route;
  if (route && typeof route.path === "string") return `${req.baseUrl}${route.path}`;
  if (path.startsWith("/graphiql") || path.startsWith("/ruru-static/")) return "/graphiql";
  return res.statusCode === 404 ? "(not found)" : "(other)";
}
