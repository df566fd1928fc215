/**
 * The entry of a volunteer's router Worker (see router.ts): waits for `start`, then hands
 * every message from the page to the router. A `leave` before the router is up is honoured
 * as soon as it is.
 */
import type { HostToRouter, RouterToHost } from './messages.js';
import { Router } from './router.js';

interface WorkerScope {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
}

const scope = globalThis as unknown as WorkerScope;
let router: Router | undefined;
let starting: Promise<Router | undefined> | undefined;
const early: HostToRouter[] = [];

function post(message: RouterToHost, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

scope.addEventListener('message', (event: MessageEvent) => {
  const message = event.data as HostToRouter;
  if (message.type === 'start') {
    starting ??= Router.start(message.options, post).then((r) => {
      router = r;
      for (const m of early.splice(0)) r?.fromHost(m);
      return r;
    });
    return;
  }
  if (router !== undefined) router.fromHost(message);
  else early.push(message);
});
