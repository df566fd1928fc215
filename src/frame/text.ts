/**
 * From input bytes to CSV text, with the checks that come before parsing: UTF-8 decoding,
 * byte-order mark, binary sniffing, emptiness. Also the shape of every CSV error message.
 *
 * Policy: bytes must be valid UTF-8 (pandas' default encoding; invalid bytes are an error,
 * not replacement characters). Text holding control characters other than tab, line feed,
 * vertical tab, form feed and carriage return is not CSV (NUL bytes, a PNG header, ...).
 * Text that is empty or only whitespace is an "empty" error, as pandas' EmptyDataError.
 */
import { BaskError } from '../errors.js';

/** What `parseCsv` accepts: text, or UTF-8 bytes. */
export type CsvInput = string | Uint8Array | ArrayBuffer;

const decoder = new TextDecoder('utf-8', { fatal: true });

// eslint-disable-next-line no-control-regex -- sniffing binary input is about control characters
const BINARY = /[\u0000-\u0008\u000E-\u001F]/;

/**
 * The CSV text of `input`: decoded, BOM removed, checked to look like non-empty text.
 * Throws ERR_CSV naming `name` otherwise.
 */
export function toCsvText(input: CsvInput, name: string | undefined): string {
  let text: string;
  if (typeof input === 'string') {
    text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  } else if (input instanceof ArrayBuffer || ArrayBuffer.isView(input)) {
    try {
      // The decoder drops a UTF-8 BOM itself (ignoreBOM is false).
      text = decoder.decode(input);
    } catch (error) {
      throw csvError(
        name,
        undefined,
        'does not look like CSV text: it is not valid UTF-8. Save it as UTF-8 CSV.',
        error,
      );
    }
  } else {
    throw new BaskError(
      'ERR_INVALID_ARGUMENT',
      `parseCsv(text): text must be a string, a Uint8Array or an ArrayBuffer, got ${typeof input}`,
    );
  }
  const match = BINARY.exec(text);
  if (match !== null) {
    const code = match[0].charCodeAt(0).toString(16).padStart(2, '0');
    throw csvError(
      name,
      lineAt(text, match.index),
      `does not look like CSV text: it holds the control character 0x${code} (a binary file, such as an image or a spreadsheet?). Export it as CSV first.`,
    );
  }
  if (text.trim() === '')
    throw csvError(name, undefined, 'is empty: a CSV needs at least a header line.');
  return text;
}

/** The 1-based line of character `offset` in `text` whose lines end with `newline`. */
export function lineAt(text: string, offset: number, newline = '\n'): number {
  const end = newline === '\r' ? '\r' : '\n';
  let line = 1;
  for (let i = text.indexOf(end); i !== -1 && i < offset; i = text.indexOf(end, i + 1)) line++;
  return line;
}

/**
 * An ERR_CSV error whose message starts with the file (when known) and the line:
 * `'a.csv', line 3: message`, or `'a.csv' message` without a line (`message` then starts
 * with a verb: "is empty", "does not look like CSV text").
 */
export function csvError(
  name: string | undefined,
  line: number | undefined,
  message: string,
  cause?: unknown,
): BaskError {
  const file = name === undefined ? 'The input' : `'${name}'`;
  const text = line === undefined ? `${file} ${message}` : `${file}, line ${line}: ${message}`;
  return new BaskError('ERR_CSV', text, cause === undefined ? {} : { cause });
}
