// Bounded cost per GraphQL request. Grafast plans a document it has never seen
// synchronously, on the event loop: an unseen document of 2,000 aliases held
// the whole process (health checks included) for 15–40 s. So every document is
// measured here, on its syntax tree, BEFORE it is validated or planned, and
// refused with a coded error when it asks for too much.
//
// Two stages, both before planning:
// - measureDocument (the text alone, cached by text): selected fields with
//   fragments expanded, aliases and depth. This bounds validation and planning,
//   whose cost grows with the selections.
// - measureOperation (the chosen operation with its variable values and the
//   schema): page sizes (first/last, never above the maximum, never negative)
//   and an estimated cost, the number of objects the answer may hold — each list
//   multiplies what it holds by its page size (first/last, or the default page
//   size the server applies when neither is given) — and the number of
//   connections and lists, which planning time grows with. This bounds the
//   planning, the database's work and the size of the answer.
//
// Pure functions of a document: the HTTP path (lib/graphql/request-checks.ts)
// and any other transport (websockets) apply the same limits.
import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from "postgraphile/graphql";
import type { Config } from "../config.ts";

export interface QueryLimits {
  /** false (QUERY_LIMITS=off): none of these limits apply — benchmarks and development tools only. */
  enabled: boolean;
  /** Largest HTTP body grafserv reads (query + variables); larger: 413 PAYLOAD_TOO_LARGE. */
  maxBodyBytes: number;
  /** Largest query text, in UTF-8 bytes, checked before parsing. */
  maxQueryBytes: number;
  /** Fields selected by a document, fragments expanded (each spread counts again). */
  maxFields: number;
  /** Aliased fields in a document, fragments expanded. */
  maxAliases: number;
  /** Nesting of selections (a root field is at depth 1). */
  maxDepth: number;
  /**
   * Connections and lists of objects in the operation that runs, fragments
   * expanded: what planning time grows with (each is a database query to
   * plan, a few milliseconds each), so this is the limit that keeps planning
   * short.
   */
  maxLists: number;
  /** Estimated objects in the answer (see measureOperation). */
  maxCost: number;
  /** Largest `first` / `last`. */
  maxPageSize: number;
  /** Rows a connection returns when neither `first` nor `last` is given. */
  defaultPageSize: number;
  /** Grafast's planning timeout: the backstop if a document within the limits still plans slowly. */
  planningTimeoutMs: number;
}

/** PLANNING_TIMEOUT_MS when unset: Grafast's development checks make planning several times slower. */
export const DEFAULT_PLANNING_TIMEOUT_MS = { production: 100, other: 500 } as const;

/** The defaults of lib/config.ts (README "Limits" says why each). */
export const defaultQueryLimits: QueryLimits = {
  enabled: true,
  maxBodyBytes: 100_000,
  maxQueryBytes: 20_000,
  maxFields: 400,
  maxAliases: 30,
  maxDepth: 12,
  maxLists: 20,
  maxCost: 50_000,
  maxPageSize: 1_000,
  defaultPageSize: 200,
  planningTimeoutMs: DEFAULT_PLANNING_TIMEOUT_MS.production,
};

/**
 * Introspection (Ruru, code generators) nests `ofType` about ten levels deep
 * and is answered from memory, so it has its own depth ceiling and is left out
 * of the cost; nested lists of it (types → fields → args) are capped instead,
 * so that `fields { type { fields { type { fields … } } } }` cannot multiply.
 */
export const INTROSPECTION_MAX_DEPTH = 16;
export const INTROSPECTION_MAX_LISTS = 3;

export type RefusalCode = "QUERY_TOO_LARGE" | "QUERY_TOO_COMPLEX" | "PAGE_TOO_LARGE" | "BAD_USER_INPUT";

/** Why a request is refused: a stable code, a message for the developer, and the limit broken. */
export interface Refusal {
  code: RefusalCode;
  message: string;
  /** Which limit (`fields`, `aliases`, `depth`, `cost`, `pageSize`, `queryBytes`…), its maximum and what was found. */
  limit?: string;
  max?: number;
  found?: number;
  /** Where in the document, when one place is to blame. */
  node?: ASTNode;
}

/** The text's size, before anything parses it. */
export function measureQueryText(query: string, limits: QueryLimits): Refusal | null {
  // Cheap first: UTF-8 takes at most 3 bytes per UTF-16 unit.
  if (query.length * 3 <= limits.maxQueryBytes) return null;
  const bytes = Buffer.byteLength(query, "utf8");
  if (bytes <= limits.maxQueryBytes) return null;
  return {
    code: "QUERY_TOO_LARGE",
    message: `The query text is ${bytes} bytes; at most ${limits.maxQueryBytes} are accepted. Send a smaller document.`,
    limit: "queryBytes",
    max: limits.maxQueryBytes,
    found: bytes,
  };
}

/**
 * Fields, aliases and depth of every operation of a document, fragments
 * expanded. The walk stops at the first limit broken, so its own work is
 * bounded by the limits (a fragment spread a thousand times is refused once the
 * expansion passes maxFields, not after expanding it all).
 */
export function measureDocument(document: DocumentNode, limits: QueryLimits): Refusal | null {
  const fragments = fragmentsOf(document);
  const tally = { fields: 0, aliases: 0 };
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const refusal = walkShape(definition.selectionSet, 0, false, { fragments, limits, tally, path: new Set() });
    if (refusal) return refusal;
  }
  return null;
}

interface ShapeWalk {
  fragments: Map<string, FragmentDefinitionNode>;
  limits: QueryLimits;
  tally: { fields: number; aliases: number };
  /** Fragments being expanded: a cycle is left for validation to report. */
  path: Set<string>;
}

function walkShape(selectionSet: SelectionSetNode, depth: number, introspection: boolean, walk: ShapeWalk): Refusal | null {
  const { limits, tally } = walk;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      tally.fields += 1;
      if (tally.fields > limits.maxFields) {
        return tooComplex("fields", limits.maxFields, tally.fields, selection, `more than ${limits.maxFields} fields are selected (fragments counted each time they are spread)`);
      }
      if (selection.alias && selection.alias.value !== selection.name.value) {
        tally.aliases += 1;
        if (tally.aliases > limits.maxAliases) {
          return tooComplex("aliases", limits.maxAliases, tally.aliases, selection, `more than ${limits.maxAliases} aliased fields`);
        }
      }
      const fieldDepth = depth + 1;
      const inIntrospection = introspection || (depth === 0 && isIntrospectionRoot(selection.name.value));
      const maxDepth = inIntrospection ? Math.max(INTROSPECTION_MAX_DEPTH, limits.maxDepth) : limits.maxDepth;
      if (fieldDepth > maxDepth) {
        return tooComplex("depth", maxDepth, fieldDepth, selection, `selections are nested more than ${maxDepth} levels deep`);
      }
      if (selection.selectionSet) {
        const refusal = walkShape(selection.selectionSet, fieldDepth, inIntrospection, walk);
        if (refusal) return refusal;
      }
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const refusal = walkShape(selection.selectionSet, depth, introspection, walk);
      if (refusal) return refusal;
    } else {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || walk.path.has(name)) continue;
      walk.path.add(name);
      const refusal = walkShape(fragment.selectionSet, depth, introspection, walk);
      walk.path.delete(name);
      if (refusal) return refusal;
    }
  }
  return null;
}

/**
 * Page sizes and estimated cost of the operation that will run, with its
 * (coerced) variable values. Called after measureDocument passed, so the walk
 * visits at most maxFields fields.
 */
export function measureOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
  limits: QueryLimits,
): Refusal | null {
  const root = operation.operation === "query" ? schema.getQueryType() : operation.operation === "mutation" ? schema.getMutationType() : schema.getSubscriptionType();
  if (!root) return null;
  const walk: CostWalk = { schema, fragments: fragmentsOf(document), variables, limits, cost: 0, lists: 0, path: new Set() };
  return walkCost(operation.selectionSet, root, 1, null, walk);
}

interface CostWalk {
  schema: GraphQLSchema;
  fragments: Map<string, FragmentDefinitionNode>;
  variables: Record<string, unknown>;
  limits: QueryLimits;
  cost: number;
  lists: number;
  path: Set<string>;
}

/**
 * `multiplier`: how many times this selection set is resolved. `page`: when
 * the parent is a connection, its page size, which its `nodes` / `edges`
 * lists hold.
 */
function walkCost(selectionSet: SelectionSetNode, parentType: GraphQLNamedType | undefined, multiplier: number, page: number | null, walk: CostWalk): Refusal | null {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? walk.schema.getType(selection.typeCondition.name.value) : parentType;
      const refusal = walkCost(selection.selectionSet, type, multiplier, page, walk);
      if (refusal) return refusal;
      continue;
    }
    if (selection.kind === Kind.FRAGMENT_SPREAD) {
      const name = selection.name.value;
      const fragment = walk.fragments.get(name);
      if (!fragment || walk.path.has(name)) continue;
      walk.path.add(name);
      const refusal = walkCost(fragment.selectionSet, walk.schema.getType(fragment.typeCondition.name.value), multiplier, page, walk);
      walk.path.delete(name);
      if (refusal) return refusal;
      continue;
    }
    const name = selection.name.value;
    if (isIntrospectionRoot(name)) {
      if (selection.selectionSet) {
        const refusal = walkIntrospectionLists(selection.selectionSet, 0, walk);
        if (refusal) return refusal;
      }
      continue;
    }
    const field = fieldOf(parentType, name);
    if (!field) continue; // __typename, or unknown (validation refuses it)

    const pageArgs = readPageArguments(field, selection.arguments ?? [], walk);
    if ("code" in pageArgs) return { ...pageArgs, node: selection };

    const returnType = getNamedType(field.type);
    if (!isCompositeType(returnType) || !selection.selectionSet) continue;
    let childMultiplier = multiplier;
    let childPage: number | null = null;
    if (isConnectionType(returnType)) {
      // The connection itself (one query); its nodes/edges hold a page.
      walk.cost += multiplier;
      walk.lists += 1;
      childPage = pageSize(pageArgs, walk.limits);
    } else if (isListType(getNullableType(field.type))) {
      childMultiplier = multiplier * (page ?? pageSize(pageArgs, walk.limits));
      walk.cost += childMultiplier;
      // A connection's nodes / edges are that connection's query, not another.
      if (page === null) walk.lists += 1;
    } else {
      walk.cost += multiplier;
    }
    if (walk.lists > walk.limits.maxLists) {
      return tooComplex(
        "lists",
        walk.limits.maxLists,
        walk.lists,
        selection,
        `more than ${walk.limits.maxLists} connections or lists are selected (each is a query to plan and run; ask for fewer at once)`,
      );
    }
    if (walk.cost > walk.limits.maxCost) {
      return tooComplex(
        "cost",
        walk.limits.maxCost,
        walk.cost,
        selection,
        `the answer could hold more than ${walk.limits.maxCost} objects (each list counts its page size: give smaller \`first\` values to nested connections)`,
      );
    }
    const refusal = walkCost(selection.selectionSet, returnType, childMultiplier, childPage, walk);
    if (refusal) return refusal;
  }
  return null;
}

/** Introspection answers from memory: only its nested lists are capped. */
function walkIntrospectionLists(selectionSet: SelectionSetNode, lists: number, walk: CostWalk): Refusal | null {
  for (const selection of selectionSet.selections) {
    let inner: SelectionSetNode | undefined;
    let nested = lists;
    if (selection.kind === Kind.FIELD) {
      inner = selection.selectionSet;
      if (inner && INTROSPECTION_LIST_FIELDS.has(selection.name.value)) nested += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = selection.selectionSet;
    } else {
      const name = selection.name.value;
      if (walk.path.has(name)) continue;
      inner = walk.fragments.get(name)?.selectionSet;
      if (!inner) continue;
      walk.path.add(name);
      const refusal = walkIntrospectionLists(inner, lists, walk);
      walk.path.delete(name);
      if (refusal) return refusal;
      continue;
    }
    if (nested > INTROSPECTION_MAX_LISTS) {
      return tooComplex("introspectionLists", INTROSPECTION_MAX_LISTS, nested, selection, `introspection lists are nested more than ${INTROSPECTION_MAX_LISTS} deep`);
    }
    if (inner) {
      const refusal = walkIntrospectionLists(inner, nested, walk);
      if (refusal) return refusal;
    }
  }
  return null;
}

// The list-valued fields of the introspection types (__Schema, __Type, __Field, __Directive).
const INTROSPECTION_LIST_FIELDS = new Set(["types", "directives", "fields", "args", "interfaces", "possibleTypes", "enumValues", "inputFields"]);

interface PageArguments {
  first: number | null;
  last: number | null;
}

/** first / last / offset of a paginated field: present, within range, as numbers. */
function readPageArguments(field: GraphQLField<unknown, unknown>, args: ReadonlyArray<{ name: { value: string }; value: ValueNode }>, walk: CostWalk): PageArguments | Refusal {
  const found: PageArguments = { first: null, last: null };
  for (const argument of args) {
    const name = argument.name.value;
    if (name !== "first" && name !== "last" && name !== "offset") continue;
    if (!field.args.some((arg) => arg.name === name)) continue;
    const value = intValue(argument.value, walk.variables);
    if (value === null) continue;
    if (value < 0) {
      return { code: "BAD_USER_INPUT", message: `\`${name}\` must not be negative (got ${value}).`, limit: name, found: value };
    }
    if (name === "offset") continue;
    if (value > walk.limits.maxPageSize) {
      return {
        code: "PAGE_TOO_LARGE",
        message: `\`${name}: ${value}\` asks for more than ${walk.limits.maxPageSize} rows at once; page with \`after\` / \`before\` cursors instead.`,
        limit: "pageSize",
        max: walk.limits.maxPageSize,
        found: value,
      };
    }
    found[name] = value;
  }
  return found;
}

/** The rows a page holds: first and last both bound it; neither means the server's default page. */
function pageSize(args: PageArguments, limits: QueryLimits): number {
  if (args.first !== null && args.last !== null) return Math.min(args.first, args.last);
  return args.first ?? args.last ?? limits.defaultPageSize;
}

/** An Int argument's value: a literal, or a variable's coerced value; null when absent or null. */
function intValue(node: ValueNode, variables: Record<string, unknown>): number | null {
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    const value = variables[node.name.value];
    return typeof value === "number" ? value : null;
  }
  return null;
}

/** PostGraphile's connection types: an object with pageInfo and nodes or edges. */
function isConnectionType(type: GraphQLNamedType): boolean {
  if (!isObjectType(type)) return false;
  const fields = type.getFields();
  return "pageInfo" in fields && ("nodes" in fields || "edges" in fields);
}

function fieldOf(type: GraphQLNamedType | undefined, name: string): GraphQLField<unknown, unknown> | undefined {
  if (!type || !(isObjectType(type) || isInterfaceType(type))) return undefined;
  return type.getFields()[name];
}

function isIntrospectionRoot(name: string): boolean {
  return name === "__schema" || name === "__type";
}

function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  return fragments;
}

function tooComplex(limit: string, max: number, found: number, node: ASTNode, why: string): Refusal {
  return { code: "QUERY_TOO_COMPLEX", message: `The query is too complex: ${why}.`, limit, max, found, node };
}

/** The limits as configured (lib/config.ts). */
export function limitsFromConfig(config: Config): QueryLimits {
  return {
    enabled: config.QUERY_LIMITS === "on",
    maxBodyBytes: config.GRAPHQL_MAX_BODY_BYTES,
    maxQueryBytes: config.QUERY_MAX_BYTES,
    maxFields: config.QUERY_MAX_FIELDS,
    maxAliases: config.QUERY_MAX_ALIASES,
    maxDepth: config.QUERY_MAX_DEPTH,
    maxLists: config.QUERY_MAX_LISTS,
    maxCost: config.QUERY_MAX_COST,
    maxPageSize: config.PAGE_SIZE_MAX,
    defaultPageSize: config.PAGE_SIZE_DEFAULT,
    planningTimeoutMs:
      config.PLANNING_TIMEOUT_MS ?? (config.NODE_ENV === "production" ? DEFAULT_PLANNING_TIMEOUT_MS.production : DEFAULT_PLANNING_TIMEOUT_MS.other),
  };
}
