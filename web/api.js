// The pages' one way to the GraphQL API: a POST to /graphql, anonymous (no
// cookies, no Referer: the page's address holds a secret), that always
// resolves — to the response body, or to a body carrying a coded error when
// the server could not be reached (NETWORK) or answered something that is not
// JSON (INTERNAL for a 5xx, NETWORK otherwise).
export async function graphql(query, variables) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/graphql-response+json, application/json" },
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    return { errors: [{ extensions: { code: "NETWORK" } }] };
  }
  try {
    return await response.json();
  } catch {
    // A proxy's HTML error page, a cut connection…
    return { errors: [{ extensions: { code: response.status >= 500 ? "INTERNAL" : "NETWORK" } }] };
  }
}
