/**
 * How a page best hands a server many Files (bench/RESULTS.md, eighth round; src/wire/uploaded.ts):
 * the same Files, in the same composed groups of 4 MiB, two in flight, sent three ways to a
 * local server, in a bare page (no bask), alternated, medians of `--reps`:
 *
 * - `ws`: each group read into the page (`blob.arrayBuffer()`) and sent over a WebSocket, as
 *   a cluster client did before uploads;
 * - `ws-blob`: each group given to `WebSocket.send` as a Blob;
 * - `post`: each group the body of a `fetch` POST, which the browser streams from disk.
 *
 * Wall time in the page, CPU of Chromium (every process) and of this server.
 *
 *   npm run build && node dist/bench/upload-paths.js [--files 2000] [--reps 5]
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { writeStocks } from '../src/seed/node.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/chromium.js';
import { CdpPage, cpuSeconds } from './cdp.js';
import { arg, record, save, summarize } from './lib.js';

const FILES = Number(arg('files', '2000'));
const REPS = Number(arg('reps', '5'));
const WAYS = ['ws', 'ws-blob', 'post'] as const;

/** The page: a file input and one function per way, each resolving to its wall time (ms). */
const PAGE = `<!doctype html><input type="file" id="f" multiple><script>
const GROUP = 4 << 20;
function groups() {
  const out = []; let cur = []; let size = 0;
  for (const f of document.getElementById('f').files) {
    cur.push(f); size += f.size;
    if (size >= GROUP) { out.push(new Blob(cur)); cur = []; size = 0; }
  }
  if (cur.length > 0) out.push(new Blob(cur));
  return out;
}
async function twoLanes(items, send) {
  let next = 0;
  const lane = async () => { while (next < items.length) await send(items[next++]); };
  await Promise.all([lane(), lane()]);
}
async function overSocket(asBlob) {
  const t0 = performance.now();
  const ws = new WebSocket('ws://' + location.host + '/ws');
  await new Promise((resolve) => (ws.onopen = resolve));
  const done = new Promise((resolve) => (ws.onmessage = resolve));
  await twoLanes(groups(), async (g) => ws.send(asBlob ? g : await g.arrayBuffer()));
  ws.send('end');
  await done;
  ws.close();
  return performance.now() - t0;
}
window.ways = {
  ws: () => overSocket(false),
  'ws-blob': () => overSocket(true),
  post: async () => {
    const t0 = performance.now();
    await twoLanes(groups(), async (g) => (await fetch('/up', { method: 'POST', body: g })).text());
    return performance.now() - t0;
  },
};
</script>`;

let received = 0;
const server = createServer((req, res) => {
  if (req.method === 'POST') {
    req.on('data', (chunk: Buffer) => (received += chunk.byteLength));
    req.on('end', () => res.end('ok'));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
});
const sockets = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false });
sockets.on('connection', (socket) =>
  socket.on('message', (data: Buffer, binary: boolean) => {
    if (binary) received += data.byteLength;
    else socket.send('done');
  }),
);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;

const scratch = mkdtempSync(join(tmpdir(), 'bask-upload-paths-'));
const paths = await writeStocks(scratch, { days: FILES, symbol: 'UP' });
const page = await CdpPage.launch(CHROMIUM_PATH, CHROMIUM_ARGS);
const rows: object[] = [];
try {
  await page.send('Page.enable');
  await page.send('Page.navigate', { url: `http://127.0.0.1:${port}/` });
  await page.waitFor(`typeof window.ways === 'object'`, 30_000);
  await page.setInputFiles('#f', paths);
  const samples = new Map<string, { wall: number[]; browser: number[]; server: number[] }>();
  let bytes = 0;
  for (let rep = -1; rep < REPS; rep++) {
    for (const way of WAYS) {
      received = 0;
      const browser0 = cpuSeconds(page.browser.pid ?? 0);
      const server0 = process.cpuUsage();
      const wall = await page.evaluate<number>(`window.ways[${JSON.stringify(way)}]()`);
      const serverCpu = process.cpuUsage(server0);
      const browser = cpuSeconds(page.browser.pid ?? 0) - browser0;
      bytes = received;
      if (rep < 0) continue; // a warm-up round
      const s = samples.get(way) ?? { wall: [], browser: [], server: [] };
      s.wall.push(wall);
      s.browser.push(browser);
      s.server.push((serverCpu.user + serverCpu.system) / 1e6);
      samples.set(way, s);
    }
  }
  for (const [way, s] of samples) {
    record(rows, {
      kind: 'upload-path',
      way,
      files: FILES,
      mb: Math.round(bytes / 1e5) / 10,
      wall_ms: Math.round(summarize(s.wall).median),
      cpu_chromium_s: Math.round(summarize(s.browser).median * 100) / 100,
      cpu_server_s: Math.round(summarize(s.server).median * 100) / 100,
      reps: s.wall.length,
    });
  }
} finally {
  await page.close();
  sockets.close();
  server.close();
  rmSync(scratch, { recursive: true, force: true });
}
save('upload-paths', rows);
