/** The scheduler's in-process link (server/scheduler/in-process.ts). */
import { describe, expect, it } from 'vitest';
import { inProcessPair } from '../../server/scheduler/in-process.js';
import { decodeFrame, encodeFrame, FrameChunks, type FrameData } from '../../src/wire/frame.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The bytes of a delivered frame, its chunks in order. */
function bytesOf(data: FrameData | readonly Uint8Array[]): number[] {
  const chunks: readonly Uint8Array[] =
    data instanceof FrameChunks ? data.chunks : data instanceof Uint8Array ? [data] : data;
  return chunks.flatMap((c) => [...c]);
}

/** A frame the scheduler's end received: the link's chunks (a socket's are fragments). */
function frameOf(data: FrameChunks | Buffer[]): FrameChunks {
  return data instanceof FrameChunks ? data : FrameChunks.received(data);
}

describe('inProcessPair', () => {
  it('delivers frames both ways in order, in a later turn, as copies', async () => {
    const { server, client } = inProcessPair();
    const atServer: number[][] = [];
    const atClient: number[][] = [];
    server.on('message', (data, isBinary) => {
      expect(isBinary).toBe(true);
      atServer.push(bytesOf(data));
    });
    client.onMessage((data) => atClient.push(bytesOf(data)));
    const chunk = new Uint8Array([1, 2]);
    client.send([chunk, new Uint8Array([3])]);
    client.send([new Uint8Array([4])]);
    chunk[0] = 9;
    server.send(new Uint8Array([5]), { binary: true, fin: false });
    server.send(new Uint8Array([6]), { binary: true, fin: true });
    expect(atServer).toEqual([]);
    await turn();
    expect(atServer).toEqual([[1, 2, 3], [4]]);
    expect(atClient).toEqual([[5, 6]]);
  });

  it('delivers a frame in its chunks: its big buffers decode as buffers of their own', async () => {
    const { server, client } = inProcessPair();
    const received: unknown[] = [];
    server.on('message', (data) => received.push(decodeFrame(frameOf(data))));
    const bytes = new Uint8Array(40_000).fill(7);
    const floats = new Float64Array(3_000).fill(0.5);
    client.send(encodeFrame({ type: 'put', values: [bytes, floats, 'small'] }));
    bytes[0] = 9;
    await turn();
    const [message] = received as { values: [Uint8Array, Float64Array, string] }[];
    const [gotBytes, gotFloats, small] = message?.values ?? [];
    expect(small).toBe('small');
    expect(gotBytes?.[0]).toBe(7); // a copy, made when sent
    expect(gotBytes?.byteLength).toBe(40_000);
    // Each its own buffer, whole: a worker can give it to a thread without copying.
    expect(gotBytes?.buffer.byteLength).toBe(40_000);
    expect(gotFloats?.buffer.byteLength).toBe(24_000);
    expect(gotFloats?.[2_999]).toBe(0.5);
  });

  it('closes both ends once, after the frames sent before the close', async () => {
    const { server, client } = inProcessPair();
    const heard: string[] = [];
    server.on('message', () => heard.push('server message'));
    server.on('close', () => heard.push('server close'));
    client.onMessage(() => heard.push('client message'));
    client.onClose((code) => heard.push(`client close ${code}`));
    server.send(new Uint8Array([1]), { binary: true, fin: true });
    server.close(4001, 'bye');
    server.close(4002, 'again');
    client.send([new Uint8Array([2])]);
    expect(server.readyState).not.toBe(server.OPEN);
    await turn();
    expect(heard.sort()).toEqual(['client close 4001', 'client message', 'server close']);
    let late = '';
    client.onClose((code, reason) => (late = `${code} ${reason}`));
    expect(late).toBe('1006 already closed');
  });

  it('tells the closing client at once, and the server a turn later', async () => {
    const { server, client } = inProcessPair();
    const heard: string[] = [];
    server.on('close', () => heard.push('server'));
    client.onClose(() => heard.push('client'));
    client.close(1000, 'done');
    expect(heard).toEqual(['client']);
    await turn();
    expect(heard).toEqual(['client', 'server']);
  });
});
