/**
 * What `npm pack` makes is what users get: the tarball holds the library, the CLI and every page
 * the CLI serves (dashboard, volunteer page, demo), and nothing else (no benchmarks, tests, build
 * info or source maps); the ecosystem's checks pass on it: publint (package.json against the
 * files) and Are the Types Wrong (types resolve for Node and bundlers).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { describe, expect, it } from 'vitest';
import { ROOT, tarball } from './apps.js';

function files(): string[] {
  return execFileSync('tar', ['tzf', tarball()], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line !== '' && !line.endsWith('/'))
    .map((line) => line.replace(/^package\//, ''));
}

describe('the packed tarball', () => {
  it('holds the library, the CLI and the pages it serves', () => {
    const packed = new Set(files());
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    for (const target of Object.values(manifest.exports)) {
      for (const file of typeof target === 'string' ? [target] : Object.values(target))
        expect(packed, file).toContain(file.replace(/^\.\//, ''));
    }
    for (const file of [
      'bin/bask.js',
      'dist/server/cli.js',
      'dist/src/local/pool-worker.js',
      'pages-dist/status.html',
      'pages-dist/workers.html',
      'pages-dist/graph.html',
      'volunteer-dist/index.html',
      'demo-dist/index.html',
      'README.md',
      'LICENSE',
    ])
      expect(packed, file).toContain(file);
  });

  it('holds nothing users do not run', () => {
    const stray = files().filter(
      (f) =>
        /^dist\/(bench|test)\//.test(f) ||
        /\.(map|tsbuildinfo)$/.test(f) ||
        /(^|\/)\.tsbuildinfo$/.test(f) ||
        /^(src|server|test|bench|examples|demo|pages|volunteer|scripts)\//.test(f) ||
        /\.ts$/.test(f.replace(/\.d\.ts$/, '')),
    );
    expect(stray).toEqual([]);
  });

  it('passes publint', async () => {
    const bytes = readFileSync(tarball());
    const { messages, pkg } = await publint({
      pack: { tarball: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) },
      level: 'suggestion',
      strict: true,
    });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, pkg) ?? m.code}`)).toEqual([]);
  });

  it('passes Are the Types Wrong (attw, ESM-only profile)', () => {
    // The profile leaves out CommonJS resolution (node10, require): bask is ESM only.
    const attw = join(ROOT, 'node_modules', '.bin', 'attw');
    let verdict = { status: 0, output: '' };
    try {
      execFileSync(attw, [tarball(), '--profile', 'esm-only'], { encoding: 'utf8', stdio: 'pipe' });
    } catch (error) {
      const e = error as { status: number; stdout: string; stderr: string };
      verdict = { status: e.status, output: e.stdout + e.stderr };
    }
    expect(verdict).toEqual({ status: 0, output: '' });
  });
});
