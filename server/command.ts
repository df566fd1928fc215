/** What every `bask` command module exports (the table of commands is in commands.ts). */
/** One CLI command. */
export interface Command {
  /** One line for `bask --help`. */
  readonly summary: string;
  /** Everything `bask <command> --help` prints: usage and every option. */
  readonly help: string;
  /** Runs the command; resolves to the exit code when it ends. */
  run(argv: readonly string[]): Promise<number>;
}
