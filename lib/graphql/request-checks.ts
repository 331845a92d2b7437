// What a GraphQL request goes through before Grafast plans it, as a graphile
// plugin (grafserv + grafast middleware), so every transport grafserv serves
// (HTTP, and websockets once enabled) gets the same checks and codes:
//
// 1. parse and validate (grafserv's, wrapped): the text's size, then our own
//    parse and measureDocument (lib/graphql/limits.ts: fields, aliases, depth)
//    BEFORE validation, whose cost also grows with the selections; then
//    grafserv's cached parse-and-validate. Errors get GRAPHQL_PARSE_FAILED /
//    GRAPHQL_VALIDATION_FAILED / QUERY_TOO_LARGE / QUERY_TOO_COMPLEX.
// 2. execute / subscribe (grafast middleware, still before planning): the
//    operation named must exist (OPERATION_NOT_FOUND), the variables must
//    coerce (BAD_USER_INPUT), then measureOperation with their values:
//    PAGE_TOO_LARGE, BAD_USER_INPUT (negative first/last/offset), QUERY_TOO_COMPLEX.
//
// An HTTP request refused here answers 400 (lib/graphql/http-errors.ts): no
// part of it ran.
import { createHash } from "node:crypto";
import { getOperationAST, getVariableValues, GraphQLError, parse, Source, type DocumentNode, type GraphQLSchema } from "postgraphile/graphql";
import type { ExecutionConfig } from "postgraphile/grafserv";
import { isPromiseLike } from "postgraphile/grafast";
import { safeErrorIn } from "../errors.ts";
import { markRefused } from "./http-errors.ts";
import { measureDocument, measureOperation, measureQueryText, type QueryLimits, type Refusal } from "./limits.ts";

type ParseAndValidate = ExecutionConfig["parseAndValidate"];
type ParseResult = ReturnType<ParseAndValidate>;
type RequestContext = Partial<Grafast.RequestContext>;

export function refusalError(refusal: Refusal): GraphQLError {
  const detail = refusal.limit === undefined ? {} : { limit: refusal.limit, max: refusal.max, found: refusal.found };
  return new GraphQLError(refusal.message, { nodes: refusal.node, extensions: { code: refusal.code, ...detail } });
}

/** A GraphQL error given a code, everything else (message, locations) kept. */
function withCode(error: GraphQLError, code: string): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/** A small LRU of verdicts on query texts: a document is parsed and measured once. */
class VerdictCache {
  private readonly entries = new Map<string, readonly GraphQLError[] | null>();
  private readonly size: number;
  constructor(size: number) {
    this.size = size;
  }
  private key(query: string): string {
    return query.length > 500 ? createHash("sha1").update(query).digest("base64") : query;
  }
  get(query: string): readonly GraphQLError[] | null | undefined {
    const key = this.key(query);
    const verdict = this.entries.get(key);
    if (verdict !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, verdict);
    }
    return verdict;
  }
  set(query: string, verdict: readonly GraphQLError[] | null): void {
    this.entries.set(this.key(query), verdict);
    if (this.entries.size > this.size) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** Parse and measure a text: null when it may go on to validation, else the coded errors. */
export function judgeDocument(query: string, limits: QueryLimits): readonly GraphQLError[] | null {
  let document: DocumentNode;
  try {
    document = parse(new Source(query, "GraphQL request"));
  } catch (error) {
    if (error instanceof GraphQLError) return [withCode(error, "GRAPHQL_PARSE_FAILED")];
    throw error;
  }
  if (!limits.enabled) return null;
  const refusal = measureDocument(document, limits);
  return refusal ? [refusalError(refusal)] : null;
}

function checkedParseAndValidate(original: ParseAndValidate, limits: QueryLimits, verdicts: VerdictCache, refuse: () => void): ParseAndValidate {
  const coded = new WeakMap<object, ParseResult>();
  return (query) => {
    const tooLarge = limits.enabled ? measureQueryText(query, limits) : null;
    if (tooLarge) {
      refuse();
      return { errors: [refusalError(tooLarge)] };
    }
    let verdict = verdicts.get(query);
    if (verdict === undefined) {
      verdict = judgeDocument(query, limits);
      verdicts.set(query, verdict);
    }
    if (verdict !== null) {
      refuse();
      return { errors: verdict };
    }
    const result = original(query);
    if (result.errors === undefined) return result;
    refuse();
    // grafserv caches its result object: code its errors once.
    let codedResult = coded.get(result);
    if (!codedResult) {
      codedResult = { errors: result.errors.map((error) => withCode(error, "GRAPHQL_VALIDATION_FAILED")) };
      coded.set(result, codedResult);
    }
    return codedResult;
  };
}

/** What judgeOperation reads of Grafast's execution arguments. */
export interface OperationArgs {
  schema: GraphQLSchema;
  document: DocumentNode;
  operationName?: string | null;
  variableValues?: unknown;
  requestContext?: RequestContext;
}

/**
 * The operation that will run, its variables coerced, and its page sizes and
 * cost measured: null when it may be planned, else the coded errors.
 */
export function judgeOperation(args: OperationArgs, limits: QueryLimits): readonly GraphQLError[] | null {
  const { schema, document, operationName } = args;
  const operation = getOperationAST(document, operationName ?? undefined);
  if (!operation) {
    const message = operationName ? `No operation named "${operationName}" in the document.` : "The document holds several operations: say which with operationName.";
    return [new GraphQLError(message, { extensions: { code: "OPERATION_NOT_FOUND" } })];
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], (args.variableValues ?? {}) as Record<string, unknown>, { maxErrors: 20 });
  if (coerced.errors) return coerced.errors.map((error) => withCode(error, "BAD_USER_INPUT"));
  if (!limits.enabled) return null;
  const refusal = measureOperation(schema, document, operation, coerced.coerced, limits);
  return refusal ? [refusalError(refusal)] : null;
}

/**
 * The plugin. One per PostGraphile instance: the verdict cache holds texts
 * that instance has judged.
 */
export function makeRequestChecksPlugin(limits: QueryLimits): GraphileConfig.Plugin {
  const verdicts = new VerdictCache(500);
  const checkOperation = (args: OperationArgs) => {
    const errors = judgeOperation(args, limits);
    if (errors === null) return null;
    markRefused(args.requestContext?.http);
    return { errors: [...errors] };
  };
  return {
    name: "WaitifyRequestChecksPlugin",
    version: "1.0.0",
    description: "Codes parse, validation and variable errors and applies the query limits before planning",
    grafserv: {
      middleware: {
        setPreset(next, event) {
          const getExecutionConfig = event.getExecutionConfig;
          event.getExecutionConfig = function (this: unknown, ctx: RequestContext) {
            const withChecks = (config: ExecutionConfig): ExecutionConfig => ({
              ...config,
              parseAndValidate: checkedParseAndValidate(config.parseAndValidate, limits, verdicts, () => markRefused(ctx.http)),
            });
            const config = getExecutionConfig.call(this as never, ctx);
            return isPromiseLike(config) ? Promise.resolve(config).then(withChecks) : withChecks(config);
          };
          return next();
        },
      },
    },
    grafast: {
      middleware: {
        execute(next, event) {
          return checkOperation(event.args) ?? next();
        },
        subscribe(next, event) {
          return checkOperation(event.args) ?? next();
        },
        // A plan that ran over the planning timeout is refused like the limits
        // (maskError gives it QUERY_TOO_COMPLEX).
        establishOperationPlan(next, event) {
          try {
            return next();
          } catch (error) {
            if (/took too long to plan/i.test(safeErrorIn(error)?.message ?? "")) markRefused(event.args.requestContext?.http);
            throw error;
          }
        },
      },
    },
  };
}
