/**
 * bask/seed: the seed workload (the Dask tutorial's stock spreads), for demos, tests and
 * benchmarks. Runs in Node, browsers and Web Workers; the Node-only file helpers are in
 * `./node.js`.
 */
export { generateStocks, type GenerateStocksOptions, type CsvText } from './generate.js';
export {
  readPrices,
  parsePrices,
  spreadAndDay,
  type PricesOptions,
  type PriceFrame,
} from './prices.js';
export {
  buildSpreads,
  buildSpreadPairs,
  spreadsPlain,
  type SpreadGraph,
  type SpreadsOptions,
} from './spreads.js';
export { tasks } from './tasks.js';
export {
  runSpreads,
  isSpreadFailure,
  formatWallTime,
  type RunSpreadsOptions,
  type SpreadResult,
  type SpreadSuccess,
  type SpreadFailure,
} from './run.js';
