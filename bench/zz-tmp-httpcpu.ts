process.env.LOG_LEVEL = "warn"; process.env.GRAPHILE_ENV = "production"; process.env.NODE_ENV = "production";
const { startBenchEnvironment } = await import("/work/main/bench/queue-env.ts");
const { Worker } = await import("node:worker_threads");
const env = await startBenchEnvironment({ httpPoolSize: 12 });
try {
  const { rows } = await env.owner.query("select (app_public.register('b@example.test', 'bench password 123', 'B', 'M')).user_id");
  const uid = rows[0].user_id;
  const b = await env.owner.query("insert into app_public.businesses (user_id, name, business_type) values ($1, 'B', 'bakery') returning id", [uid]);
  await env.owner.query(`insert into app_public.queues (business_id, user_id, name, qr_code_token, is_queue_active, max_queue_size)
     select $1, $2, 'Bench ' || n, 'bench-queue-' || lpad(n::text, 12, '0'), true, 200 from generate_series(1, 400) n`, [b.rows[0].id, uid]);
  for (const conc of [8]) {
    for (let r = 0; r < 2; r++) {
      const cpu0 = process.cpuUsage(); const t0 = performance.now();
      const res: any = await new Promise((resolve, reject) => { const w = new Worker(new URL("file:///work/main/bench/queue-load.ts"), { workerData: { url: env.graphqlUrl, concurrency: conc, durationMs: 4000, queues: 400 } }); w.once("message", (m) => { resolve(m); w.terminate(); }); w.once("error", reject); });
      const cpu = process.cpuUsage(cpu0); const el = performance.now() - t0;
      console.log(conc, "ok", res.ok, "rps", (res.ok / (res.elapsedMs/1000)).toFixed(0), "node cpu ms/req", ((cpu.user + cpu.system) / 1000 / res.ok).toFixed(2), "node cpu%", ((cpu.user+cpu.system)/1000/el*100).toFixed(0), JSON.stringify(res.errors));
    }
  }
} finally { await env.stop(); }
