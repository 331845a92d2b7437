// Small helpers around PostgreSQL connection URLs.

export interface UrlParts {
  user: string;
  password: string;
  database: string;
}

export function urlParts(url: string): UrlParts {
  const parsed = new URL(url);
  return {
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, "")),
  };
}

/** The same server, another user and/or database. */
export function withCredentials(url: string, user: string, password: string, database?: string): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  if (database !== undefined) parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** SQL-quotes an identifier (role or database name). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** SQL-quotes a literal. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
