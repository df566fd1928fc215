/**
 * The table of `bask` commands. Each command lives in a module of its own and exports its
 * summary, its full `--help` text and `run(argv)`. Modules load on demand: `bask worker` does
 * not load the demo's or the dashboard's code, which keeps start-up short.
 */
import type { Command } from './command.js';

export type { Command };

/** Every command by name, loaded when asked for. */
export const commands: Readonly<Record<string, () => Promise<Command>>> = {
  scheduler: async () => (await import('./scheduler/command.js')).schedulerCommand,
  worker: async () => (await import('./worker/command.js')).workerCommand,
  spreads: async () => (await import('./spreads.js')).spreadsCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
};
