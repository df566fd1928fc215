/**
 * The table of `bask` commands. Each command lives in a module of its own and exports its
 * summary, its full `--help` text and `run(argv)`.
 */
import { demoCommand } from './demo.js';
import { schedulerCommand } from './scheduler/command.js';
import { spreadsCommand } from './spreads.js';
import { workerCommand } from './worker/command.js';

/** One CLI command. */
export interface Command {
  /** One line for `bask --help`. */
  readonly summary: string;
  /** Everything `bask <command> --help` prints: usage and every option. */
  readonly help: string;
  /** Runs the command; resolves to the exit code when it ends. */
  run(argv: readonly string[]): Promise<number>;
}

/** Every command by name. */
export const commands: Readonly<Record<string, Command>> = {
  scheduler: schedulerCommand,
  worker: workerCommand,
  spreads: spreadsCommand,
  demo: demoCommand,
};
