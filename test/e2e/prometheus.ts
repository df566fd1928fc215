/**
 * A checker of the Prometheus text exposition format (version 0.0.4), for the /metrics tests:
 * every line is a HELP or TYPE comment, another comment, blank, or a sample; and the samples
 * make sense together (a TYPE before a family's samples and at most once, no series twice,
 * histogram buckets cumulative and ending at +Inf = _count). Returns the samples parsed.
 */

/** One sample line, parsed. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_VALUE = '"(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*=${LABEL_VALUE}`;
const FLOAT = '[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?|[+-]?Inf|NaN';
const SAMPLE = new RegExp(
  `^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (${FLOAT})(?: -?\\d+)?$`,
);
const HELP = new RegExp(`^# HELP (${NAME}) .*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const ONE_LABEL = new RegExp(`([a-zA-Z_][a-zA-Z0-9_]*)=(${LABEL_VALUE})`, 'g');

function parseValue(text: string): number {
  if (/^[+-]?Inf$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** The family a sample belongs to (histogram and summary series carry suffixes). */
function familyOf(name: string, types: ReadonlyMap<string, string>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const type = types.get(base);
    if (type === 'histogram' || (type === 'summary' && suffix !== '_bucket')) return base;
  }
  return name;
}

/** Checks `text`; throws with the line number and reason at the first problem. */
export function parsePrometheusText(text: string): Sample[] {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a line feed');
  const types = new Map<string, string>();
  const seenSamples = new Set<string>();
  const sampled = new Set<string>();
  const samples: Sample[] = [];
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const fail = (why: string): never => {
        throw new Error(`line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
      };
      if (line.trim() === '') return;
      if (line.startsWith('# HELP ')) {
        if (!HELP.test(line)) fail('malformed HELP');
        return;
      }
      if (line.startsWith('# TYPE ')) {
        const m = TYPE.exec(line) ?? fail('malformed TYPE');
        const name = m[1] as string;
        if (types.has(name)) fail('second TYPE for the family');
        if (sampled.has(name)) fail('TYPE after samples of the family');
        types.set(name, m[2] as string);
        return;
      }
      if (line.startsWith('#')) return;
      const m = SAMPLE.exec(line) ?? fail('not a sample line');
      const name = m[1] as string;
      const labels: Record<string, string> = {};
      for (const [, key, value] of (m[2] ?? '').matchAll(ONE_LABEL)) {
        if (key === undefined || value === undefined) continue;
        if (key in labels) fail(`label ${key} twice`);
        labels[key] = JSON.parse(value) as string;
      }
      const family = familyOf(name, types);
      if (!types.has(family)) fail('sample without a TYPE for its family');
      const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      if (seenSamples.has(series)) fail('the same series twice');
      seenSamples.add(series);
      sampled.add(family);
      const value = parseValue(m[3] as string);
      if (types.get(family) === 'counter' && !(value >= 0)) fail('a counter below 0');
      samples.push({ name, labels, value });
    });
  checkHistograms(samples, types);
  return samples;
}

function checkHistograms(samples: readonly Sample[], types: ReadonlyMap<string, string>): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const buckets = samples.filter((s) => s.name === `${family}_bucket`);
    let previous = -Infinity;
    for (const b of buckets) {
      const le = b.labels['le'];
      if (le === undefined) throw new Error(`${family}: a bucket without le`);
      const bound = parseValue(le);
      if (!(bound > previous)) throw new Error(`${family}: buckets out of order at le=${le}`);
      previous = bound;
    }
    const counts = buckets.map((b) => b.value);
    if (counts.some((c, i) => i > 0 && c < (counts[i - 1] as number)))
      throw new Error(`${family}: bucket counts are not cumulative`);
    const inf = buckets.at(-1);
    const count = samples.find((s) => s.name === `${family}_count`);
    if (inf?.labels['le'] !== '+Inf') throw new Error(`${family}: no +Inf bucket`);
    if (count === undefined || count.value !== inf.value)
      throw new Error(`${family}: _count differs from the +Inf bucket`);
    if (!samples.some((s) => s.name === `${family}_sum`)) throw new Error(`${family}: no _sum`);
  }
}
