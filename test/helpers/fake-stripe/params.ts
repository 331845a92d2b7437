// Reading typed values out of form params, failing as Stripe does: a 400
// invalid_request_error naming the parameter.
import { invalidRequest, missingParam } from "./errors.ts";
import type { FormValue, Params } from "./forms.ts";

export function required<T>(value: T | undefined, param: string): T {
  if (value === undefined || value === "") throw missingParam(param);
  return value;
}

export function str(value: FormValue | undefined, param: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw invalidRequest(`Invalid string: ${param}`, param);
  return value;
}

export function int(value: FormValue | undefined, param: string): number | undefined {
  const text = str(value, param);
  if (text === undefined || text === "") return undefined;
  if (!/^-?\d+$/.test(text)) throw invalidRequest(`Invalid integer: ${text}`, param);
  return Number(text);
}

export function bool(value: FormValue | undefined, param: string): boolean | undefined {
  const text = str(value, param);
  if (text === undefined || text === "") return undefined;
  if (text !== "true" && text !== "false") throw invalidRequest(`Invalid boolean: ${text}`, param);
  return text === "true";
}

export function oneOf<T extends string>(value: FormValue | undefined, allowed: readonly T[], param: string): T | undefined {
  const text = str(value, param);
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) {
    throw invalidRequest(`Invalid ${param}: must be one of ${allowed.join(", ")}`, param);
  }
  return text as T;
}

export function obj(value: FormValue | undefined, param: string): Params | undefined {
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "object" || Array.isArray(value)) throw invalidRequest(`Invalid hash: ${param}`, param);
  return value;
}

export function arr(value: FormValue | undefined, param: string): FormValue[] {
  if (value === undefined || value === "") return [];
  if (!Array.isArray(value)) throw invalidRequest(`Invalid array: ${param}`, param);
  return value.filter((item) => item !== undefined);
}

/** Metadata: string values; "" (unset) is an empty hash; a key set to "" is unset by mergeMetadata. */
export function metadata(value: FormValue | undefined): Record<string, string> | undefined {
  const hash = obj(value, "metadata");
  if (!hash) return value === "" ? {} : undefined;
  return Object.fromEntries(Object.entries(hash).map(([key, item]) => [key, String(item)]));
}

/** The `expand` paths of a request. */
export function expandPaths(params: Params): string[] {
  return arr(params.expand, "expand").map((item) => String(item));
}

/** An update's metadata merged into the stored one as Stripe does: a key posted empty is removed, "" clears all. */
export function mergeMetadata(current: unknown, value: FormValue | undefined): Record<string, string> | undefined {
  const update = metadata(value);
  if (!update) return undefined;
  if (value === "") return {};
  const merged: Record<string, string> = { ...(current as Record<string, string>), ...update };
  for (const [key, item] of Object.entries(update)) if (item === "") delete merged[key];
  return merged;
}
