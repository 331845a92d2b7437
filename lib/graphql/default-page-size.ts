// A default page size for every PostGraphile connection: without `first` or
// `last` (or with both null), a connection returns `defaultPageSize` rows and
// says `hasNextPage` — never a whole table. PostGraphile 5 has no such option,
// and a GraphQL default value on `first` is wrong (it would also apply when the
// client pages backwards with `last`, graphile/crystal#2773), so this schema
// plugin takes over the `first` argument of connection fields: the field's plan
// sets `first` itself, from the `first` and `last` the client gave, and the
// argument's own applyPlan does nothing.
import { constant, lambda } from "postgraphile/grafast";

interface ConnectionLike {
  setFirst(first: unknown): void;
}

const noop = () => {};

export function makeDefaultPageSizePlugin(defaultPageSize: number): GraphileConfig.Plugin {
  // first ?? (last ?? default when both are absent): a page is always bounded
  // unless the client pages backwards, where `last` bounds it.
  const firstOrDefault = ([first, last]: readonly [unknown, unknown]) => (first ?? (last == null ? defaultPageSize : null)) as number | null;
  return {
    name: "WaitifyDefaultPageSizePlugin",
    version: "1.0.0",
    description: "Connections without first/last return a bounded default page",
    after: ["PgFirstLastBeforeAfterArgsPlugin"],
    schema: {
      hooks: {
        GraphQLObjectType_fields_field(field, _build, context) {
          if (!context.scope.isPgFieldConnection || typeof field.plan !== "function") return field;
          const plan = field.plan;
          return {
            ...field,
            plan(parent, fieldArgs, info) {
              const $connection = plan(parent, fieldArgs, info) as unknown;
              const args = info.field.args;
              if (args.some((arg) => arg.name === "first") && $connection && typeof ($connection as ConnectionLike).setFirst === "function") {
                const $first = fieldArgs.getRaw("first");
                const $last = args.some((arg) => arg.name === "last") ? fieldArgs.getRaw("last") : constant(null);
                ($connection as ConnectionLike).setFirst(lambda([$first, $last], firstOrDefault, true));
              }
              return $connection as ReturnType<typeof plan>;
            },
          };
        },
        GraphQLObjectType_fields_field_args(args, _build, context) {
          if (!context.scope.isPgFieldConnection || !args.first) return args;
          // The field's plan (above) has set `first` already.
          return { ...args, first: { ...args.first, applyPlan: noop } };
        },
      },
    },
  };
}
