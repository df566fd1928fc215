/**
 * The seed workload's task module: the functions workers import by name (the module id
 * `bask:seed` + export name, registered in builtin.ts) instead of receiving their source.
 * Importable anywhere: no DOM or Node access at its top level.
 */
import '../frame/codec.js';
import { defineTasks } from '../graph/fnref.js';
import { readCsv } from '../frame/read.js';
import { spreadsOfGroup, spreadsOfSources } from './group.js';
import { readPrices, spreadAndDay } from './prices.js';

/**
 * `readPrices`, `readCsv`, `spreadAndDay`, `spreadsOfGroup` and `spreadsOfSources` (group.ts)
 * as shippable task functions: `delayed(tasks.readPrices)(file)`.
 */
export const tasks = defineTasks('bask:seed', {
  readPrices,
  readCsv,
  spreadAndDay,
  spreadsOfGroup,
  spreadsOfSources,
});
