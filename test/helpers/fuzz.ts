// Property-based requests built from an introspected GraphQL schema: for each
// root field (query or mutation), a document selecting its scalar results one
// level down, and fast-check arbitraries for its arguments — values of the
// right type (often the ids, tokens and words the fixtures hold, so that calls
// reach the business rules), edge values (negative and huge numbers, NUL
// characters, huge strings, lone surrogates, malformed UUIDs, dates and cursors,
// empty patches) and values of the wrong type — sent as variables or inlined as
// literals.
import fc from "fast-check";
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isLeafType,
  isListType,
  isNonNullType,
  isObjectType,
  isUnionType,
  type GraphQLArgument,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from "postgraphile/graphql";

export interface FuzzOperation {
  kind: "query" | "mutation";
  field: GraphQLField<unknown, unknown>;
  /** The selection set of its result ("" for a scalar result). */
  selection: string;
}

/** Values the fixtures hold, mixed into the generated ones so that calls reach the rules. */
export interface KnownValues {
  uuids: string[];
  nodeIds: string[];
  cursors: string[];
  /** QR and entry tokens, emails, plan and business-type names, phone numbers… */
  words: string[];
}

export interface FuzzRequest {
  query: string;
  variables: Record<string, unknown>;
}

/** Every root query and mutation field of the schema. */
export function operationsOf(schema: GraphQLSchema): FuzzOperation[] {
  const operations: FuzzOperation[] = [];
  for (const [kind, type] of [
    ["query", schema.getQueryType()],
    ["mutation", schema.getMutationType()],
  ] as const) {
    if (!type) continue;
    for (const field of Object.values(type.getFields())) {
      operations.push({ kind, field, selection: selectionFor(field.type, 0) });
    }
  }
  return operations;
}

/**
 * Scalars of the result, and of the objects one level down (a payload's
 * record, a connection's nodes and pageInfo); nothing that needs arguments,
 * no nested connection (the query limits are tested elsewhere).
 */
function selectionFor(type: GraphQLOutputType, depth: number): string {
  const named = getNamedType(type);
  if (isLeafType(named)) return "";
  if (isUnionType(named)) return "{ __typename }";
  if (!isObjectType(named) && !isInterfaceType(named)) return "{ __typename }";
  const parts = ["__typename"];
  for (const field of Object.values(named.getFields())) {
    if (field.args.some((arg) => isNonNullType(arg.type))) continue;
    const inner = getNamedType(field.type);
    if (isLeafType(inner)) parts.push(field.name);
    else if (depth === 0 && !isConnection(inner)) parts.push(`${field.name} ${selectionFor(field.type, depth + 1)}`);
  }
  return `{ ${parts.join(" ")} }`;
}

function isConnection(type: ReturnType<typeof getNamedType>): boolean {
  return isObjectType(type) && "pageInfo" in type.getFields();
}

const edgeStrings = [
  "",
  " ",
  "a\u0000b",
  "\u0000",
  "\ud800",
  "é😀\u200b",
  "'; drop table app_public.users; --",
  "%s%s%n",
  "<script>alert(1)</script>",
  "06 12 34 56 78",
  "+33612345678",
  "0033612345678",
  "+221771234567",
  "not-an-email",
  "x@example.test",
];

function stringArb(known: KnownValues): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: 30 }) },
    { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
    { weight: 3, arbitrary: fc.constantFrom(...edgeStrings) },
    { weight: 3, arbitrary: fc.constantFrom(...known.words) },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 30_000 }).map((n) => "x".repeat(n)) },
  );
}

function intArb(): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: -3, max: 50 }) },
    { weight: 2, arbitrary: fc.constantFrom(-1, 0, 1, 200, 1000, 1001, 2147483647, -2147483648) },
    { weight: 1, arbitrary: fc.integer() },
  );
}

function scalarArb(name: string, known: KnownValues): fc.Arbitrary<unknown> {
  switch (name) {
    case "Int":
      return intArb();
    case "Float":
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(0.5, -1.5, 1e300));
    case "Boolean":
      return fc.boolean();
    case "ID":
      return fc.oneof(fc.constantFrom(...known.nodeIds), fc.base64String({ maxLength: 40 }), stringArb(known));
    case "UUID":
      return fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...known.uuids) },
        { weight: 2, arbitrary: fc.uuid() },
        { weight: 1, arbitrary: fc.constantFrom("123", "", "00000000-0000-0000-0000-00000000000g", "{00000000-0000-0000-0000-000000000000}") },
      );
    case "Cursor":
      return fc.oneof(fc.constantFrom(...known.cursors), fc.base64String({ maxLength: 40 }), fc.string({ maxLength: 20 }));
    case "BigInt":
      return fc.oneof(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }).map(String), fc.constantFrom("1", "-1", "abc", "1.5", ""));
    case "Datetime":
      return fc.oneof(
        fc.date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }).map((date) => date.toISOString()),
        fc.constantFrom("not a date", "2026-13-45T25:61:00Z", "0000-00-00", "infinity"),
      );
    case "Date":
      return fc.oneof(
        fc.date({ min: new Date("1900-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }).map((date) => date.toISOString().slice(0, 10)),
        fc.constantFrom("2026-02-30", "yesterday", "2026-1-1"),
      );
    case "JSON":
      return fc.jsonValue({ maxDepth: 3 });
    default:
      return stringArb(known);
  }
}

/** A value for an input type: mostly of that type, sometimes null where it may not be. */
export function valueArb(type: GraphQLInputType, known: KnownValues, depth = 0): fc.Arbitrary<unknown> {
  if (isNonNullType(type)) {
    return fc.oneof({ weight: 19, arbitrary: valueArb(type.ofType, known, depth) }, { weight: 1, arbitrary: fc.constant(null) });
  }
  const value: fc.Arbitrary<unknown> = isListType(type)
    ? fc.array(valueArb(type.ofType, known, depth + 1), { maxLength: 3 })
    : isEnumType(type)
      ? fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...type.getValues().map((enumValue) => enumValue.name)) }, { weight: 1, arbitrary: fc.constantFrom("NOPE", "primary_key_asc") })
      : isInputObjectType(type)
        ? depth > 3
          ? fc.constant({})
          : fc.oneof(
              { weight: 1, arbitrary: fc.constant({}) },
              {
                weight: 6,
                arbitrary: fc.record(
                  Object.fromEntries(Object.values(type.getFields()).map((field) => [field.name, valueArb(field.type, known, depth + 1)])),
                  { requiredKeys: Object.values(type.getFields()).filter((field) => isNonNullType(field.type)).map((field) => field.name) },
                ),
              },
            )
        : scalarArb(getNamedType(type).name, known);
  return fc.oneof({ weight: 12, arbitrary: value }, { weight: 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
}

/** An argument's value, or undefined to leave an optional one out (a required one, rarely). */
function argumentArb(arg: GraphQLArgument, known: KnownValues): fc.Arbitrary<unknown> {
  const present = valueArb(arg.type, known);
  return isNonNullType(arg.type)
    ? fc.oneof({ weight: 25, arbitrary: present }, { weight: 1, arbitrary: fc.constant(undefined) })
    : fc.oneof(present, fc.constant(undefined));
}

/** A request for the operation: arguments as variables, or inlined as literals. */
export function requestArb(operation: FuzzOperation, known: KnownValues): fc.Arbitrary<FuzzRequest> {
  const args = operation.field.args;
  return fc.record({ values: fc.tuple(...args.map((arg) => argumentArb(arg, known))), inline: fc.boolean() }).map(({ values, inline }) => {
    const given = args.map((arg, i) => ({ arg, value: values[i] })).filter(({ value }) => value !== undefined);
    const variables: Record<string, unknown> = {};
    const definitions: string[] = [];
    const argumentList = given.map(({ arg, value }, i) => {
      if (inline) return `${arg.name}: ${literal(value, arg.type)}`;
      variables[`v${i}`] = value;
      definitions.push(`$v${i}: ${String(arg.type)}`);
      return `${arg.name}: $v${i}`;
    });
    const header = definitions.length > 0 ? `${operation.kind} Fuzz(${definitions.join(", ")})` : `${operation.kind} Fuzz`;
    const call = argumentList.length > 0 ? `${operation.field.name}(${argumentList.join(", ")})` : operation.field.name;
    return { query: `${header} { ${call} ${operation.selection} }`, variables };
  });
}

/** A value written as a GraphQL literal (enum names bare; anything else as JSON would write it). */
export function literal(value: unknown, type: GraphQLInputType | undefined): string {
  const nullable = type && isNonNullType(type) ? type.ofType : type;
  if (value === null || value === undefined) return "null";
  if (typeof value === "string" && nullable && isEnumType(nullable) && /^[_A-Za-z][_0-9A-Za-z]*$/.test(value)) return value;
  if (Array.isArray(value)) {
    const item = nullable && isListType(nullable) ? nullable.ofType : undefined;
    return `[${value.map((entry) => literal(entry, item)).join(", ")}]`;
  }
  if (typeof value === "object") {
    const fields = nullable && isInputObjectType(nullable) ? nullable.getFields() : {};
    const entries = Object.entries(value as Record<string, unknown>).filter(([key]) => /^[_A-Za-z][_0-9A-Za-z]*$/.test(key));
    return `{${entries.map(([key, entry]) => `${key}: ${literal(entry, fields[key]?.type)}`).join(", ")}}`;
  }
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  return JSON.stringify(value);
}
