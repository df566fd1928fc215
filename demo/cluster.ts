/**
 * The page's one door to a cluster: `connectCluster(address)` connects a bask `Client` to the
 * scheduler at `address` (the one `npm start` runs, by default) and returns it as the scheduler
 * to compute on. One client per address is kept and reused; a lost connection makes the next
 * call reconnect.
 */
import { Client, type Scheduler } from 'bask';

const clients = new Map<string, Promise<Client>>();

/** Connects to the bask scheduler at `address` (`ws://host:8786`) as a compute client. */
export function connectCluster(address: string): Promise<Scheduler> {
  let client = clients.get(address);
  if (client === undefined) {
    client = Client.connect(address, { name: 'demo page', setAsDefault: false });
    clients.set(address, client);
    client.catch(() => clients.delete(address));
  }
  return client.then(async (c) => {
    try {
      await c.info();
      return c;
    } catch {
      clients.delete(address);
      return connectCluster(address);
    }
  });
}
