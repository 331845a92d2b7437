// Which rate-limited mutations a GraphQL request asks for, read from the
// document itself: every field of the operation that will run is counted,
// under any alias, through fragments, however many times (five aliased
// joinQueue fields are five joins). Arguments are read from literals or the
// request's variables. Anything that does not parse is left to grafserv,
// which refuses it before anything runs.
import { Kind, parse, valueFromASTUntyped, type DocumentNode, type FieldNode, type SelectionSetNode } from "postgraphile/graphql";

export interface JoinField {
  phone?: string;
  qrToken?: string;
}

export interface LoginField {
  /** Where the field's answer is in `data` (its alias, else its name). */
  responseKey: string;
  email?: string;
}

export interface LimitedFields {
  joins: JoinField[];
  logins: LoginField[];
  /** register and requestPasswordReset: each may send an email to this address. */
  emails: (string | undefined)[];
  /** Every sign-in / account field (authenticate, authenticateGoogle, register, requestPasswordReset, resetPassword). */
  authFields: number;
}

const NAMES = ["joinQueue", "authenticate", "authenticateGoogle", "register", "requestPasswordReset", "resetPassword"] as const;
const AUTH_NAMES = new Set<string>(["authenticate", "authenticateGoogle", "register", "requestPasswordReset", "resetPassword"]);

export const noLimitedFields: LimitedFields = { joins: [], logins: [], emails: [], authFields: 0 };

interface GraphQLBody {
  query?: unknown;
  variables?: unknown;
  operationName?: unknown;
}

/** The GraphQL requests of an HTTP body (JSON, or application/graphql text); [] when unreadable. */
export function bodyRequests(body: Buffer, contentType: string | undefined): GraphQLBody[] {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/graphql") return [{ query: body.toString("utf8") }];
  if (type !== "application/json" && !type.endsWith("+json")) return [];
  try {
    const parsed: unknown = JSON.parse(body.toString("utf8"));
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.filter((item): item is GraphQLBody => typeof item === "object" && item !== null);
  } catch {
    return [];
  }
}

/** The limited fields of every request of a body, added up. */
export function limitedFieldsOf(requests: GraphQLBody[]): LimitedFields {
  const total: LimitedFields = { joins: [], logins: [], emails: [], authFields: 0 };
  for (const request of requests) {
    const found = limitedFieldsOfRequest(request);
    total.joins.push(...found.joins);
    total.logins.push(...found.logins);
    total.emails.push(...found.emails);
    total.authFields += found.authFields;
  }
  return total;
}

function limitedFieldsOfRequest(request: GraphQLBody): LimitedFields {
  const { query } = request;
  // Names cannot be escaped in GraphQL text: without one of them, nothing to count.
  if (typeof query !== "string" || !NAMES.some((name) => query.includes(name))) return noLimitedFields;
  let document: DocumentNode;
  try {
    document = parse(query, { noLocation: true });
  } catch {
    return noLimitedFields;
  }
  const variables = (typeof request.variables === "object" && request.variables !== null ? request.variables : {}) as Record<string, unknown>;
  const found: LimitedFields = { joins: [], logins: [], emails: [], authFields: 0 };
  for (const field of rootMutationFields(document, typeof request.operationName === "string" ? request.operationName : undefined)) {
    const name = field.name.value;
    if (!(NAMES as readonly string[]).includes(name)) continue;
    const inputArgument = field.arguments?.find((argument) => argument.name.value === "input");
    const input = inputArgument ? asRecord(safeValue(() => valueFromASTUntyped(inputArgument.value, variables))) : {};
    if (AUTH_NAMES.has(name)) found.authFields++;
    if (name === "joinQueue") found.joins.push({ phone: asString(input.phone), qrToken: asString(input.qrToken) });
    if (name === "authenticate") found.logins.push({ responseKey: field.alias?.value ?? name, email: emailKey(input.email) });
    if (name === "register" || name === "requestPasswordReset") found.emails.push(emailKey(input.email));
  }
  return found;
}

/**
 * The root fields of the mutation that will run: the named operation, the
 * only one, or — when grafserv will refuse the request anyway (several and no
 * name) — all of them.
 */
function rootMutationFields(document: DocumentNode, operationName: string | undefined): FieldNode[] {
  const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
  const chosen = operationName ? operations.filter((operation) => operation.name?.value === operationName) : operations;
  const fragments = new Map(
    document.definitions.flatMap((definition) => (definition.kind === Kind.FRAGMENT_DEFINITION ? [[definition.name.value, definition] as const] : [])),
  );
  const fields: FieldNode[] = [];
  const visit = (selectionSet: SelectionSetNode, seen: Set<string>) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) fields.push(selection);
      else if (selection.kind === Kind.INLINE_FRAGMENT) visit(selection.selectionSet, seen);
      else {
        const fragment = fragments.get(selection.name.value);
        // A fragment cycle is a validation error; it must not loop here.
        if (fragment && !seen.has(fragment.name.value)) visit(fragment.selectionSet, new Set([...seen, fragment.name.value]));
      }
    }
  };
  for (const operation of chosen) if (operation.operation === "mutation") visit(operation.selectionSet, new Set());
  return fields;
}

function safeValue(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** An account's email as SQL finds it: lower(btrim(email)). */
export function emailKey(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim().toLowerCase() : undefined;
}

/**
 * A phone number's key: its last nine digits. A French or Senegalese number
 * in E.164 is its country code and a nine-digit national number, and every
 * way of typing one that the database accepts (06…, +33 6…, 0033 6…,
 * +33 (0)6…, 77… for Senegal) ends with those nine digits.
 */
export function phoneKey(phone: string | undefined): string | undefined {
  if (phone === undefined) return undefined;
  const digits = phone.replace(/\D/g, "");
  return digits === "" ? undefined : digits.slice(-9);
}
