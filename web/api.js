// The pages' one way to the GraphQL API: a POST to /graphql (no cookies, no
// Referer: a page's address may hold a secret), that always resolves — to the
// response body, or to a body carrying a coded error when the server could not
// be reached (NETWORK) or answered something that is not JSON (INTERNAL for a
// 5xx, NETWORK otherwise).
// options.token: the merchant's session, sent in the Authorization header only;
// options.onResponse(response): sees the HTTP response (the counter reads the
// server's clock from its Date header).
export async function graphql(query, variables, options = {}) {
  const headers = { "content-type": "application/json", accept: "application/graphql-response+json, application/json" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    return { errors: [{ extensions: { code: "NETWORK" } }] };
  }
  if (options.onResponse) options.onResponse(response);
  try {
    return await response.json();
  } catch {
    // A proxy's HTML error page, a cut connection…
    return { errors: [{ extensions: { code: response.status >= 500 ? "INTERNAL" : "NETWORK" } }] };
  }
}
