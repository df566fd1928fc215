#!/usr/bin/env node
// The `bask` command: runs the built CLI (dist/server/cli.js). Build it with `npm run build`.
// `bask spreads`, a short-lived command whose whole process users time, runs the same CLI from
// its bundle (dist/cli/, scripts/bundle-cli.mjs): a few chunks load faster than ~100 modules.
// Long-running commands keep the module tree, whose files find their assets by relative path.
import { existsSync } from 'node:fs';

const argv = process.argv.slice(2);
const bundled = new URL('../dist/cli/cli.js', import.meta.url);
const cli =
  argv[0] === 'spreads' && existsSync(bundled)
    ? bundled
    : new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'bask: the CLI is not built yet. Run `npm run build` (or `npm start`) in the bask folder first.',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(argv);
