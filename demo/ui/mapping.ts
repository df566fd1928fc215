/**
 * The column mapping: which columns hold the timestamp, the high and the low price, for
 * files whose names bask does not find by itself (the CLI's --timestamp, --high, --low).
 * An empty field means "find it by name".
 */
import type { SpreadsOptions } from 'bask/seed';

/** The three mapping fields. */
export interface MappingInputs {
  readonly timestamp: HTMLInputElement;
  readonly high: HTMLInputElement;
  readonly low: HTMLInputElement;
}

/** The mapping the fields describe (only the filled ones). */
export function readMapping(inputs: MappingInputs): SpreadsOptions {
  const mapping: SpreadsOptions = {};
  for (const role of ['timestamp', 'high', 'low'] as const) {
    const value = inputs[role].value.trim();
    if (value !== '') mapping[role] = value;
  }
  return mapping;
}

/** Calls `onChange` when the user has finished editing a field (on change, not per key). */
export function onMappingChange(inputs: MappingInputs, onChange: () => void): void {
  for (const input of [inputs.timestamp, inputs.high, inputs.low]) {
    input.addEventListener('change', onChange);
  }
}
