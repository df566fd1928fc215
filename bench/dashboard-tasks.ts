/** The task module of the dashboard benchmark (workers import it): one trivial task. */
import { defineTasks } from '../src/graph/fnref.js';

function inc(x: number): number {
  return x + 1;
}

export const tasks = defineTasks(import.meta.url, { inc });
