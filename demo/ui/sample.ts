/**
 * "Use sample data": the seed workload's files, made in a Web Worker (sample-worker.ts) so
 * that the page stays smooth while ~5 MB of CSV text is generated.
 */
import { BaskError } from 'bask';
import type { InputFile } from './files.js';

/** Generates `days` trading days of minute bars as files `YYYY-MM-DD.csv`, off the main thread. */
export function generateSampleFiles(days = 250): Promise<InputFile[]> {
  const worker = new Worker(new URL('../sample-worker.ts', import.meta.url), {
    type: 'module',
    name: 'bask-sample-data',
  });
  return new Promise<InputFile[]>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent) => {
      worker.terminate();
      const data = event.data as { files?: File[]; error?: string };
      if (data.files === undefined) {
        reject(new BaskError('ERR_INVALID_ARGUMENT', `Sample data: ${data.error ?? 'failed'}`));
        return;
      }
      resolve(data.files.map((file) => ({ file, name: file.name })));
    });
    worker.addEventListener('error', (event: ErrorEvent) => {
      worker.terminate();
      reject(
        new BaskError(
          'ERR_WORKER_CRASHED',
          `The sample-data worker failed: ${event.message || 'it could not start'}`,
        ),
      );
    });
    worker.postMessage({ days });
  });
}
