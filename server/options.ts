/**
 * Parsing of option values shared by commands: sizes (`2GB`, `512MiB`, `auto`), resources
 * (`GPU=1,MEM=8e9`), ports and counts. Each failure names the option and says what is expected.
 */
import { totalmem } from 'node:os';
import { BaskError } from '../src/errors.js';

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

function bad(option: string, message: string): never {
  throw new BaskError('ERR_INVALID_ARGUMENT', `--${option}: ${message}`);
}

/** Bytes from `2GB`, `512MiB`, `1e9`, or `auto` (the machine's memory split over `share`). */
export function parseSize(option: string, text: string, share = 1): number {
  if (text === 'auto') return Math.floor(totalmem() / share);
  const match = /^(\d+(?:\.\d+)?(?:e\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? '').toLowerCase() || 'b'];
  if (match === null || unit === undefined)
    bad(option, `expected a size like 2GB, 512MiB or auto, got '${text}'`);
  return Math.floor(Number(match[1]) * unit);
}

/** `{ GPU: 1, MEM: 8e9 }` from `GPU=1,MEM=8e9`. */
export function parseResources(option: string, text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const [name, value] = part.split('=');
    const n = Number(value);
    if (name === undefined || name === '' || value === undefined || !Number.isFinite(n) || n < 0) {
      bad(option, `expected NAME=NUMBER pairs like GPU=1,MEM=8e9, got '${part}'`);
    }
    out[name] = n;
  }
  return out;
}

/** A port number (0 for any free port). */
export function parsePort(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    bad(option, `expected a port between 0 and 65535, got '${text}'`);
  return n;
}

/** The `parseArgs` options of a command that starts a scheduler: where it listens. */
export const LISTEN_OPTIONS = {
  port: { type: 'string' },
  'dashboard-port': { type: 'string' },
  host: { type: 'string' },
} as const;

/** Where a scheduler listens, from LISTEN_OPTIONS' values (as Dask: 8786, 8787, 127.0.0.1). */
export function listenOf(values: { port?: string; 'dashboard-port'?: string; host?: string }): {
  port: number;
  dashboardPort: number;
  host: string;
} {
  return {
    port: parsePort('port', values.port, 8786),
    dashboardPort: parsePort('dashboard-port', values['dashboard-port'], 8787),
    host: values.host ?? '127.0.0.1',
  };
}

/** A positive integer. */
export function parseCount(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) bad(option, `expected a positive integer, got '${text}'`);
  return n;
}

/** A number of seconds (0 or more, fractions allowed), or `fallback` when not given. */
export function parseSeconds(option: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0)
    bad(option, `expected seconds (0 or more), got '${text}'`);
  return n;
}

/** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
export function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => resolve(signal);
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
