#!/usr/bin/env node
// The `bask` command: runs the built CLI (dist/server/cli.js). Build it with `npm run build`.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/server/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'bask: the CLI is not built yet. Run `npm run build` (or `npm start`) in the bask folder first.',
  );
  process.exit(1);
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
