/**
 * Chromium for the browser tests and benchmarks: Debian's /usr/bin/chromium (or CHROMIUM_PATH;
 * `npm test` installs it when missing), launched headless through Playwright with the same
 * flags everywhere. mDNS host names are off so that WebRTC offers this machine's own address.
 */
import { chromium, type Browser } from 'playwright';

/** Where Chromium is. */
export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** Chromium's flags for tests and benchmarks. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/** Launches headless Chromium with those flags. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
