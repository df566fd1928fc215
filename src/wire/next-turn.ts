/**
 * `afterThisTurn`: runs a callback once the messages already received have been handled, on
 * the next turn of the event loop (Node's `setImmediate`; elsewhere a MessageChannel message,
 * which queues behind the posted messages already waiting, as `setTimeout(0)` would not
 * reliably do and with no clamping). A pool and its workers use it to send one batch per turn
 * instead of one per message received.
 */

type Callback = () => void;

let queued: Callback[] = [];
let channel: MessageChannel | undefined;

function runQueued(): void {
  const callbacks = queued;
  queued = [];
  for (const callback of callbacks) callback();
}

function viaChannel(callback: Callback): void {
  queued.push(callback);
  if (queued.length > 1) return;
  if (channel === undefined) {
    channel = new MessageChannel();
    channel.port1.onmessage = runQueued;
  }
  channel.port2.postMessage(null);
}

/** Calls `callback` on the next turn of the event loop, after the messages waiting now. */
export const afterThisTurn: (callback: Callback) => void =
  typeof setImmediate === 'function'
    ? (callback) => {
        setImmediate(callback);
      }
    : viaChannel;
