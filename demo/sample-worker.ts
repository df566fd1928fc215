/**
 * A Web Worker that makes the sample data set: `generateStocks` (250 trading days of minute
 * bars, ~5.6 MB of CSV text) takes ~100 ms of CPU, which would stall the page's animations,
 * so it runs here and sends the files back as `File` objects (structured clone shares their
 * bytes instead of copying strings through the main thread).
 */
import { generateStocks, type GenerateStocksOptions } from 'bask/seed';

/** The worker's side of messaging (the DOM lib types `self` as a Window). */
const scope = globalThis as unknown as {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
};

scope.addEventListener('message', (event: MessageEvent) => {
  try {
    const options = event.data as GenerateStocksOptions;
    const files = generateStocks(options).map(
      (f) => new File([f.text], f.name, { type: 'text/csv' }),
    );
    scope.postMessage({ files });
  } catch (error) {
    scope.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
