/**
 * Which of this machine's addresses its peers can reach: the one of the interface that routes to
 * the scheduler (as Dask workers choose theirs). A scheduler on localhost gives 127.0.0.1; one
 * across the network gives this machine's address on that network, so workers on other
 * machines can fetch data directly instead of through the relay.
 */
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';

/** The local address that routes to `address` (a ws:// or wss:// URL), or undefined. */
export async function addressToward(address: string): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port) || (url.protocol === 'wss:' ? 443 : 80);
  try {
    const target = await lookup(host);
    // Connecting a UDP socket only picks the route: no packet is sent.
    const socket = createSocket(target.family === 6 ? 'udp6' : 'udp4');
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(port, target.address, () => resolve());
      });
      return socket.address().address;
    } finally {
      socket.close();
    }
  } catch {
    return undefined;
  }
}
