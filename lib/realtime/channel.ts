// The channel a subscription listens to, asked from SQL at subscribe time
// (db/realtime/channels.sql) with the request's pgSettings: as the request's
// role and claims, like any query of that request. SQL decides who may listen
// to what; a refusal is its coded error (ENTRY_NOT_FOUND, QUEUE_NOT_FOUND,
// UNAUTHENTICATED), which fails the subscription before anything is LISTENed.
import { loadOneWithPgClient, type PgClient, type PgExecutor } from "postgraphile/@dataplan/pg";
import { constant, type Step } from "postgraphile/grafast";

type ChannelFunction = "entry_channel" | "queue_channel" | "account_channel";

// One loader per function, made once: grafast keys its batching on the loader.
const loaders = new Map<ChannelFunction, (client: PgClient, lookups: ReadonlyArray<unknown>) => Array<Promise<string>>>();

function loaderFor(fn: ChannelFunction) {
  let loader = loaders.get(fn);
  if (!loader) {
    const text = fn === "account_channel" ? `select app_hidden.account_channel() as channel` : `select app_hidden.${fn}($1) as channel`;
    // A subscription is one operation, so one lookup per call in practice.
    loader = (client, lookups) =>
      lookups.map(async (lookup) => {
        const { rows } = await client.query<{ channel: string }>({ text, values: fn === "account_channel" ? [] : [lookup] });
        return rows[0]!.channel;
      });
    loaders.set(fn, loader);
  }
  return loader;
}

/** The channel of `fn(argument)` (no argument for account_channel), as the request's role. */
export function channel(executor: PgExecutor, fn: ChannelFunction, $argument?: Step): Step<string> {
  return loadOneWithPgClient(executor, $argument ?? constant(fn), loaderFor(fn));
}
