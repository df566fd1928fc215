/**
 * Size budgets (`npx size-limit`, run by the tests): what an app loads up front, minified and
 * gzipped, bundled by esbuild the way an app's bundler would. Dynamic imports are left out of
 * each figure: they are the views and modules that load on demand (visualize's layout, bask's
 * own demo modules), in chunks of their own fetched by the first call that needs them.
 */
const onDemand = {
  name: 'bask:on-demand',
  setup(build) {
    build.onResolve({ filter: /.*/ }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    );
  },
};

/** esbuild as size-limit sets it up, plus the plugin above, for browsers. */
const upFront = (config) => ({
  ...config,
  platform: 'browser',
  format: 'esm',
  plugins: [...(config.plugins ?? []), onDemand],
});

export default [
  {
    name: 'browser entry: delayed + compute + Pool',
    path: 'dist/src/index.browser.js',
    import: '{ delayed, compute, Pool }',
    // The goal is 20 kB. On demand already: the result cache (with idb-keyval), the sync
    // scheduler, sessions' operations (Client.local); the pool's engine (BaseEngine) leaves
    // replication and host timeouts out. What remains is what a first compute on the pool
    // runs: engine core (with its checked transition table), pool, delayed/api, comlink
    // (~1.6 kB gzipped), the wire encoder, and since issue 14 the driver shell shared with the
    // cluster and the thread link shared with worker processes and volunteer tabs (+0.7 kB:
    // 23.3 -> 24.0 kB, with the transition table's descriptions moved into comments). Issues 16
    // and 17 added placement without scanning every worker (engine/capacity.js, ~0.9 kB
    // minified) and the task record's rarely set fields behind accessors (engine/types.js):
    // 24.0 -> 25.0 kB. Issue 16's second round: fusion of reductions (graph/fuse.js), the
    // engine's submission layer and lazy per-worker indexes (engine/submit.js), per-turn
    // batches (wire/next-turn.js): 25.0 -> 26.2 kB. Issue 16's third round: Files keep their
    // names through Node's structured clone (wire/clone.js, a fix: dead code in browsers, whose
    // clone keeps them, but the codec is shared), the pool's per-step release of delivered keys:
    // 26.2 -> 26.5 kB; the processes pool's reading of Files loads on demand. Issue 16's fourth
    // round: the pool moves the page's read-ahead file bytes to its workers instead of copying
    // them (wire/hand-over.js, and its checks in the encoder: a rerun after a crash must not
    // carry detached bytes), and views of a small part of a buffer (frames carved from slabs)
    // are posted as copies of their own bytes (wire/clone.js): 26.5 -> 27.0 kB. Issue 16's
    // seventh round: a worker's in-flight keys as a queue (local/sent-keys.js: answers come in
    // order, so no hash per task) and a client's wants as a list (engine/submit.js), +13-15%
    // pool throughput on 100k tiny tasks: 27.0 -> 27.3 kB; a run's values placed by their
    // record's rank and read back in order (local/computation.js, api.js: no map of every
    // wanted key), +8-17% more: 27.3 -> 27.7 kB; `get`'s repeated keys told apart by their
    // batch positions instead of a set of every key (local/computation.js): 27.7 -> 27.9 kB.
    // Issue 15's eighth round: the wire encoder sends a Blob's bytes alone (wire/blob-bytes.js
    // `BytesOf`), so a cluster's worker gets a group of Files as bytes without a Blob copied
    // around them; the encoder is shared with the pool: 27.91 -> 27.97 kB. Issue 16's ninth
    // round: a result finds its task in its worker's running list (engine/held.js) and a
    // report its value among the drain's results (engine/driver.js), both without a hash per
    // task, and a pool worker's handle names the function of the task before again without a
    // lookup (local/worker-handle.js): 27.97 -> 28.31 kB; tasks sent with their default
    // fields left out (wire/pool-protocol.js `wireTask`) and a get's outputs indexed with one
    // probe each (graph/analyze.js): 28.31 -> 28.46 kB. Together +20-40% pool throughput on
    // 100k tiny tasks, alternated with the round's start.
    limit: '28.5 kB',
    gzip: true,
    modifyEsbuildConfig: upFront,
  },
  {
    name: "bask's pool worker",
    path: 'dist/src/local/pool-worker.js',
    limit: '30 kB',
    gzip: true,
    modifyEsbuildConfig: upFront,
  },
  {
    name: "an app's pool worker: startWorker (bask/worker)",
    path: 'dist/src/index.worker.js',
    import: '{ startWorker }',
    limit: '30 kB',
    gzip: true,
    modifyEsbuildConfig: upFront,
  },
  {
    name: 'a task module: defineTasks (bask/tasks)',
    path: 'dist/src/index.tasks.js',
    import: '{ defineTasks }',
    limit: '2 kB',
    gzip: true,
    modifyEsbuildConfig: upFront,
  },
];
