/**
 * The first exchange on a scheduler connection, the same for clients, worker processes and
 * volunteer tabs: say hello, read the one answer (a welcome or a refusal).
 */
import { BaskError, type ErrorCode } from '../errors.js';
import { decodeFrame, encodeFrame } from './frame.js';
import type { Hello, Welcome } from './protocol.js';
import type { Socket } from './socket.js';

/**
 * Sends `hello` and resolves with the scheduler's answer, a welcome or a refusal; rejects with
 * ERR_CONNECTION when the connection closes before answering.
 */
export async function exchangeHello(socket: Socket, hello: Hello): Promise<Welcome> {
  let unsubscribe = (): void => undefined;
  try {
    return await new Promise<Welcome>((resolve, reject) => {
      unsubscribe = socket.onMessage((data) => {
        try {
          resolve(decodeFrame(data) as Welcome);
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      socket.onClose((code, reason) =>
        reject(
          new BaskError(
            'ERR_CONNECTION',
            `The scheduler closed the connection (${code} ${reason})`,
          ),
        ),
      );
      socket.send(encodeFrame(hello));
    });
  } finally {
    unsubscribe();
  }
}

/**
 * `exchangeHello` for those who cannot go on without a welcome: a refusal closes the socket and
 * rejects with the refusal's code (ERR_AUTH, ERR_PROTOCOL_VERSION, ...) and message.
 */
export async function handshake(
  socket: Socket,
  hello: Hello,
): Promise<Extract<Welcome, { type: 'welcome' }>> {
  const welcome = await exchangeHello(socket, hello);
  if (welcome.type === 'refused') {
    socket.close(1000, 'refused');
    const code = welcome.code.startsWith('ERR_') ? (welcome.code as ErrorCode) : 'ERR_CONNECTION';
    throw new BaskError(code, welcome.message);
  }
  return welcome;
}
