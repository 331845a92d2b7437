// Stripe's request encoding, read back: `application/x-www-form-urlencoded`
// bodies (and GET query strings) whose keys use bracket notation, as the SDK
// writes them — `items[0][price]=price_1&expand[0]=tiers&metadata[k]=v`.
// Numeric or empty brackets (`a[0]`, `a[]`) make arrays; others make objects.
// Every leaf stays a string, as on the wire; resources coerce what they read.

export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type Params = { [key: string]: FormValue };

// Keys that would reach Object.prototype through a plain object.
const forbidden = new Set(["__proto__", "prototype", "constructor"]);

/** "a[b][0][c]" → ["a", "b", "0", "c"]; a malformed key stays one segment. */
export function keySegments(key: string): string[] {
  const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!match) return [key];
  const rest = [...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((part) => part[1]!);
  return [match[1]!, ...rest];
}

const isIndex = (segment: string) => segment === "" || /^\d+$/.test(segment);

function assign(target: Params | FormValue[], segments: string[], value: string): void {
  const [head, ...rest] = segments as [string, ...string[]];
  if (forbidden.has(head)) return;
  const container = target as Record<string, FormValue> & FormValue[];
  // `a[]` appends; `a[3]` sets index 3 (the SDK numbers from 0 without gaps).
  const slot = Array.isArray(target) && head === "" ? target.length : head;
  if (rest.length === 0) {
    container[slot as never] = value as never;
    return;
  }
  let child = container[slot as never] as FormValue | undefined;
  if (child === undefined || typeof child === "string") {
    child = isIndex(rest[0]!) ? [] : {};
    container[slot as never] = child as never;
  }
  assign(child as Params | FormValue[], rest, value);
}

/** Parses a form body or query string into nested params. */
export function parseForm(text: string): Params {
  const params: Params = {};
  for (const [key, value] of new URLSearchParams(text)) assign(params, keySegments(key), value);
  return params;
}
