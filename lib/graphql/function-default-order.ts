// A default `orderBy` for a connection returned by a SQL function, named by
// the function's smart tag `@defaultOrderBy CREATED_AT_DESC,PRIMARY_KEY_DESC`.
// PostGraphile gives tables a default order (their primary key) but functions
// none: without one, a function's rows are paged by their number (the
// cursor is a row_number()), so a page far down makes PostgreSQL compute every
// computed column of the rows it skips. With an order, the next page is a
// WHERE on the ordered columns and only the page's rows are computed
// (db/admin/tenants.sql, the back office's list of accounts).
import type { GraphQLEnumType } from "postgraphile/graphql";

export const FunctionDefaultOrderPlugin: GraphileConfig.Plugin = {
  name: "WaitifyFunctionDefaultOrderPlugin",
  version: "1.0.0",
  description: "A default orderBy for function connections, from their @defaultOrderBy smart tag",
  after: ["PgConnectionArgOrderByPlugin"],
  schema: {
    hooks: {
      GraphQLObjectType_fields_field_args_arg(arg, build, context) {
        const { argName, isPgFieldConnection, pgFieldResource: resource, fieldName } = context.scope;
        if (argName !== "orderBy" || !isPgFieldConnection || !resource?.parameters) return arg;
        const tag = resource.extensions?.tags?.defaultOrderBy;
        if (typeof tag !== "string" || !resource.codec.attributes) return arg;
        const orderBy = build.getTypeByName(build.inflection.orderByType(build.inflection.tableType(resource.codec))) as
          | GraphQLEnumType
          | undefined;
        const values = tag.split(",").map((name) => orderBy?.getValues().find((value) => value.name === name.trim()));
        if (!orderBy || values.some((value) => !value)) {
          throw new Error(`@defaultOrderBy ${tag} of ${fieldName}: not all values of ${orderBy?.name ?? "its order type"}`);
        }
        return build.extend(
          arg,
          { defaultValue: values.map((value) => value!.value) },
          `Adding @defaultOrderBy to the orderBy argument of '${fieldName}'`,
        );
      },
    },
  },
};
