// The roles of DESIGN.md §3. Owner and authenticator take their names from the
// connection URLs (DBA's choice); the three request roles have fixed names
// because policies and grants in the migrations name them.
export const ANONYMOUS_ROLE = "waitify_anonymous";
export const MERCHANT_ROLE = "waitify_merchant";
export const ADMIN_ROLE = "waitify_admin";
export const REQUEST_ROLES = [ANONYMOUS_ROLE, MERCHANT_ROLE, ADMIN_ROLE] as const;
export type RequestRole = (typeof REQUEST_ROLES)[number];
