/**
 * The `bask` command line: one entry, one module per command. Options are parsed with Node's
 * `util.parseArgs` (strict: an unknown option is an error that names it); every command
 * prints its full option list with `--help`, as `dask-worker --help` does.
 *
 * `main` returns the exit code instead of exiting, so that tests can call it in-process and
 * long-running commands (scheduler, worker, demo) resolve only when they stop.
 */
import { readFileSync } from 'node:fs';
import { isBaskError } from '../src/errors.js';
import { commands, type Command } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function overview(): Promise<string> {
  const width = Math.max(...Object.keys(commands).map((n) => n.length));
  const lines = await Promise.all(
    Object.entries(commands).map(
      async ([name, load]) => `  ${name.padEnd(width)}  ${(await load()).summary}`,
    ),
  );
  return [
    'Usage: bask <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `bask <command> --help` for its options.',
  ].join('\n');
}

/**
 * The command called `name`, loaded (its module and the library under it), or undefined when
 * there is no such command. bench/startup.ts times this step apart from the command's run.
 */
export async function loadCommand(name: string): Promise<Command | undefined> {
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  return load === undefined ? undefined : await load();
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await overview());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(version());
    return 0;
  }
  const command = await loadCommand(name);
  if (command === undefined) {
    console.error(`bask: unknown command '${name}'.\n\n${await overview()}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(command.help);
    return 0;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    return reportError(name, error, command.help);
  }
}

function reportError(name: string, error: unknown, help: string): number {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    console.error(`bask ${name}: ${(error as Error).message}\n\n${help}`);
    return 2;
  }
  if (isBaskError(error)) {
    console.error(`bask ${name}: ${error.message} [${error.code}]`);
    if (process.env['BASK_DEBUG'] !== undefined) console.error(error.stack);
    return error.code === 'ERR_INVALID_ARGUMENT' || error.code === 'ERR_ADDRESS_IN_USE' ? 2 : 1;
  }
  console.error(`bask ${name}:`, error);
  return 1;
}
