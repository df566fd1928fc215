/**
 * The page's one door to a cluster. Everything cluster-related in the page goes through
 * `connectCluster(address)`: the scheduler panel calls it when Cluster is chosen, and runs
 * compute on the scheduler it returns. Until bask's cluster client exists it rejects with
 * ERR_CONNECTION; replacing this function with `Client.connect(address)` turns the Cluster
 * option and "Run all three" on, with no other change to the page.
 */
import { BaskError, type Scheduler } from 'bask';

/** Connects to the bask scheduler at `address` (`ws://host:8786`) as a compute client. */
export function connectCluster(address: string): Promise<Scheduler> {
  return Promise.reject(
    new BaskError(
      'ERR_CONNECTION',
      `Cluster client not available yet: this version of bask cannot connect to ${address}. ` +
        'Use Sync or Worker pool.',
    ),
  );
}
