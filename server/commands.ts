/**
 * The table of `bask` commands. Each command lives in a module of its own and exports its
 * summary, its full `--help` text and `run(argv)`.
 */
import { demoCommand } from './demo.js';
import { schedulerCommand } from './scheduler/command.js';
import { spreadsCommand } from './spreads.js';
import { workerCommand } from './worker/command.js';
import type { Command } from './command.js';

export type { Command };

/** Every command by name. */
export const commands: Readonly<Record<string, Command>> = {
  scheduler: schedulerCommand,
  worker: workerCommand,
  spreads: spreadsCommand,
  demo: demoCommand,
};
