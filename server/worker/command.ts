/**
 * `bask worker ADDRESS`: N worker processes, each running T worker threads, joined to the
 * scheduler at ADDRESS. The processes are children of a supervisor (supervisor.ts) when N > 1,
 * with --tls-ca, or when --memory-limit is given (so that one past its memory terminate threshold
 * is restarted); else the one process runs here.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BaskError } from '../../src/errors.js';
import {
  MEMORY_THRESHOLDS,
  parseMemoryFraction,
  resolveMemoryFractions,
  type MemoryFractions,
} from '../../src/worker/memory-thresholds.js';
import type { Command } from '../command.js';
import { parseCount, parseResources, parseSeconds, parseSize, untilSignal } from '../options.js';
import { serve } from './rejoin.js';
import { SUPERVISED_ENV, supervise } from './supervisor.js';

const HELP = `Usage: bask worker ADDRESS [options]

Joins the scheduler at ADDRESS (ws://host:8786) with worker processes and threads.

Options:
  --nworkers N              worker processes to start (default 1)
  --nthreads T              threads per process (default: cores / nworkers)
  --memory-limit SIZE       memory per process: 2GB, 512MiB, or auto (default auto: the
                            machine's memory / nworkers; 0: no limit). Enforced with:
  --memory-target F         spill held results to disk (LRU) past F of the limit (0.6)
  --memory-spill F          ...and spill while process memory (RSS) is past F (0.7)
  --memory-pause F          take no new tasks while past F (0.8)
  --memory-terminate F      restart the process past F (0.95; needs --memory-limit given)
                            each F is a fraction like 0.7 or 70%, or false (off), as Dask's
                            distributed.worker.memory.* settings
  --name NAME               name of the process (threads are NAME/0, NAME/1, ...); with
                            --nworkers N, processes are NAME-0 ... NAME-(N-1)
  --resources LIST          abstract resources per thread, e.g. "GPU=1,MEM=8e9"
  --token TOKEN             the scheduler's worker token (or BASK_WORKER_TOKEN)
  --peer-host HOST          address other worker processes reach this one's peer server at
                            (default: with --token, this machine's address on the route to
                            the scheduler; without, 127.0.0.1)
  --tls-ca FILE             trust this certificate (PEM) for a wss:// scheduler and peers,
                            e.g. a self-signed one (instead of NODE_EXTRA_CA_CERTS)
  --tls-cert FILE           serve this process's peer data over wss:// with this certificate
  --tls-key FILE            ...and this key (PEM; data between worker processes is then
                            encrypted as the scheduler's connections are)
  --death-timeout SECONDS   how long to wait for a scheduler, at start and after losing it,
                            before giving up (default 60); it joins again meanwhile
  -h, --help                show this help`;

/** The worker command. */
export const workerCommand: Command = {
  summary: 'join a scheduler with worker processes and threads',
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        nworkers: { type: 'string' },
        nthreads: { type: 'string' },
        'memory-limit': { type: 'string' },
        'memory-target': { type: 'string' },
        'memory-spill': { type: 'string' },
        'memory-pause': { type: 'string' },
        'memory-terminate': { type: 'string' },
        name: { type: 'string' },
        resources: { type: 'string' },
        token: { type: 'string' },
        'peer-host': { type: 'string' },
        'death-timeout': { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    });
    const address = positionals[0];
    if (address === undefined || !/^wss?:\/\//.test(address) || positionals.length > 1) {
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        'expected one scheduler address like ws://127.0.0.1:8786 (see bask worker --help)',
      );
    }
    const nworkers = parseCount('nworkers', values.nworkers, 1);
    const nthreads = parseCount(
      'nthreads',
      values.nthreads,
      Math.max(1, Math.floor(availableParallelism() / nworkers)),
    );
    const memoryLimit = parseSize('memory-limit', values['memory-limit'] ?? 'auto', nworkers);
    const memoryFractions = parseFractions(values);
    const resources =
      values.resources === undefined ? {} : parseResources('resources', values.resources);
    const token = values.token ?? process.env['BASK_WORKER_TOKEN'];
    const caFile = values['tls-ca'] === undefined ? undefined : resolve(values['tls-ca']);
    if (caFile !== undefined) readPem('tls-ca', caFile);
    // Threads import task modules over https too: every TLS client in the process must trust
    // the certificate, and Node reads NODE_EXTRA_CA_CERTS only at start, so set it for a child.
    const env =
      caFile !== undefined && process.env['NODE_EXTRA_CA_CERTS'] !== caFile
        ? { ...process.env, NODE_EXTRA_CA_CERTS: caFile }
        : undefined;
    // Restarts past terminate need a parent, and the parent starts the process so that freed
    // memory goes back to the system (supervisor.ts); the default 'auto' limit does not ask for one.
    const enforce = values['memory-limit'] !== undefined && memoryLimit > 0;
    if (process.env[SUPERVISED_ENV] !== '1' && (nworkers > 1 || env !== undefined || enforce))
      return supervise(
        childArgs(argv, nworkers, nworkers > 1 ? values.name : undefined, memoryLimit),
        env,
      );
    const deathTimeout = parseSeconds('death-timeout', values['death-timeout'], 60);
    const ca = caFile === undefined ? undefined : readPem('tls-ca', caFile);
    const cert = values['tls-cert'];
    const key = values['tls-key'];
    if ((cert === undefined) !== (key === undefined))
      throw new BaskError(
        'ERR_INVALID_ARGUMENT',
        '--tls-cert and --tls-key go together: give both (PEM files) or neither',
      );
    return serve(
      {
        address,
        nthreads,
        memoryLimit,
        memoryFractions,
        resources,
        ...(values.name !== undefined ? { name: values.name } : {}),
        ...(token !== undefined ? { token } : {}),
        ...(values['peer-host'] !== undefined ? { peerHost: values['peer-host'] } : {}),
        ...(ca !== undefined ? { ca } : {}),
        ...(cert !== undefined && key !== undefined
          ? { tls: { cert: readPem('tls-cert', cert), key: readPem('tls-key', key) } }
          : {}),
      },
      deathTimeout * 1000,
      Promise.race([untilSignal(), parentGone()]),
      (line) => console.log(line),
    );
  },
};

/**
 * The arguments of N one-process children: named `name-i` when `name` is given (else with the
 * options as they are), with the memory limit each gets (an 'auto' limit is the parent's share).
 */
function childArgs(
  argv: readonly string[],
  n: number,
  name: string | undefined,
  memoryLimit: number,
): string[][] {
  const strip = ['--nworkers', '--memory-limit', ...(name === undefined ? [] : ['--name'])];
  const base = stripOptions(argv, strip);
  return Array.from({ length: n }, (_, i) => [
    ...base,
    '--nworkers',
    '1',
    '--memory-limit',
    String(memoryLimit),
    ...(name !== undefined ? ['--name', `${name}-${i}`] : []),
  ]);
}

/** The --memory-* thresholds given (Dask's defaults for the others). */
function parseFractions(values: Record<string, unknown>): MemoryFractions {
  const given: Partial<Record<keyof MemoryFractions, number | false>> = {};
  for (const name of MEMORY_THRESHOLDS) {
    const text = values[`memory-${name}`];
    if (typeof text === 'string') given[name] = parseMemoryFraction(`memory-${name}`, text);
  }
  return resolveMemoryFractions(given, 'bask worker');
}

function stripOptions(argv: readonly string[], names: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag] = arg.split('=');
    if (names.includes(flag as string)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    out.push(arg);
  }
  return out;
}

/** The PEM text of a file option; ERR_INVALID_ARGUMENT naming the file when it cannot be read. */
function readPem(option: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `--${option}: cannot read ${file} (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

/**
 * Resolves when the `bask worker` that forked this one (`--nworkers`, `--tls-ca`) is gone: a
 * killed parent cannot forward its signal, and its children must not outlive it. Never resolves
 * in a process that was not forked.
 */
function parentGone(): Promise<string> {
  return new Promise((resolve) => {
    if (process.connected) process.once('disconnect', () => resolve('parent exited'));
  });
}
