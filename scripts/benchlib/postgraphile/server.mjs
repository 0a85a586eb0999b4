// PostGraphile v5 (amber preset) over the benchmark database, for `scripts/bench --vs postgraphile`.
//
//   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/gateway_bench_pg PORT=5678 node server.mjs
//
// Serves POST /graphql (schema `public`) and GET /health (200). Production settings: no GraphiQL, no
// watch mode, no explain, no subscriptions, Grafast in production mode, default JSON output.

process.env.GRAPHILE_ENV ??= "production"; // read when grafast loads, hence the dynamic imports below

// PostGraphile 5.1.5 declares node >= 22. The one newer API it calls is Promise.withResolvers (Node 22);
// without it every database read fails ("Cannot read properties of undefined (reading 'items')").
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

const { createServer } = await import("node:http");
const { postgraphile } = await import("postgraphile");
const { PostGraphileAmberPreset } = await import("postgraphile/presets/amber");
const { makePgService } = await import("postgraphile/adaptors/pg");
const { grafserv } = await import("postgraphile/grafserv/node");

const connectionString = process.env.DATABASE_URL;
if (!connectionString) throw new Error("DATABASE_URL is not set");
const port = Number(process.env.PORT ?? 5678);

const preset = {
  extends: [PostGraphileAmberPreset],
  // Let relations be ordered by unindexed columns (`position`), as PostGraphile v4 did by default
  // (`ignoreIndexes`); the gateway orders line items, quotes, addresses and products by position.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  pgServices: [
    makePgService({
      connectionString,
      schemas: ["public"],
      poolConfig: { max: Number(process.env.POOL_SIZE ?? 20) }, // the gateway's GATEWAY_DB_POOL_SIZE in the bench
    }),
  ],
  grafserv: { graphqlPath: "/graphql", graphiql: false, graphqlOverGET: false, watch: false },
  grafast: { explain: false },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
await pgl.getSchema(); // build the schema (one introspection) before reporting healthy

const handle = serv.createHandler(); // plain HTTP handler (serv.addTo would also add websockets)
const server = createServer((req, res) => {
  if (req.url === "/health") res.writeHead(200, { "Content-Type": "text/plain" }).end("ok");
  else handle(req, res);
});
server.keepAliveTimeout = 60_000;
server.listen(port, "127.0.0.1", () => console.log(`postgraphile listening on http://127.0.0.1:${port}/graphql`));

const stop = async () => {
  server.close();
  await pgl.release();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
