// A bare keep-alive JSON POST for load generators: node:http without fetch's
// per-request overhead, so the client costs as little CPU as possible.
import http from "node:http";

export function postJson(
  url: string,
  body: string,
  agent: http.Agent,
  headers: Record<string, string> = {},
): Promise<string> {
  return post(url, body, agent, headers).then((response) => response.body);
}

/** The same POST, answering the HTTP status with the body. */
export function post(
  url: string,
  body: string,
  agent: http.Agent,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), ...headers },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}
