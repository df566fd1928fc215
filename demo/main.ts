import { Pool } from 'bask';
console.log(typeof Pool);
import { generateStocks, runSpreads } from 'bask/seed';
const out = document.getElementById('out') as HTMLElement;
const files = generateStocks({ days: 20 }).map((f) => new File([f.text], f.name));
files.push(new File(['timestamp,high,low\n2023-01-01 09:30,1,2\n2023-01-01 09:31,x,2\n'], 'bad.csv'));
for (const s of ['sync', 'threads'] as const) {
  const t = performance.now();
  const r = await runSpreads(files, { scheduler: s });
  out.textContent += `${s} ${performance.now() - t}\n${JSON.stringify(r.slice(0, 2))}\n${r.slice(-1).map((x) => ('error' in x ? x.error.message : '')).join()}\n`;
}
out.dataset['done'] = '1';
