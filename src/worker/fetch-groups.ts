/**
 * Inputs to fetch, grouped by the worker that holds them: one request per holder, the keys in
 * the order the tasks named them, each with whether the value may move (its last use). Used
 * wherever a worker side brings inputs in: a worker thread from its peers (runtime.ts), a
 * `bask worker` process and a volunteer router from other machines.
 */

/** Keys fetched from one holder, with whether each may move. */
export interface FetchGroup {
  keys: string[];
  move: boolean[];
}

/** One input to bring in: `key`, held by worker `from`. */
export interface HeldInput {
  readonly key: string;
  readonly from: string;
  readonly move: boolean;
}

/** Adds `input` to its holder's group in `groups`. */
export function addToGroup(groups: Map<string, FetchGroup>, input: HeldInput): void {
  let group = groups.get(input.from);
  if (group === undefined) groups.set(input.from, (group = { keys: [], move: [] }));
  group.keys.push(input.key);
  group.move.push(input.move);
}

/** `inputs` grouped by holder, leaving out those `skip` says need no fetch. */
export function groupByHolder(
  inputs: Iterable<HeldInput>,
  skip: (input: HeldInput) => boolean,
): Map<string, FetchGroup> {
  const groups = new Map<string, FetchGroup>();
  for (const input of inputs) if (!skip(input)) addToGroup(groups, input);
  return groups;
}
