/**
 * The task modules clients upload (once, with their first submission) for workers to import
 * from the scheduler's HTTP endpoint. Modules stay for the scheduler's life, so their total
 * text is capped: an upload past the cap is a protocol error for that client.
 */
import { BaskError } from '../../src/errors.js';

/** The most task-module text the scheduler keeps. */
const MAX_MODULE_BYTES = 256 * 1024 ** 2;

/** Uploaded task modules by URL. */
export class ModuleStore {
  private readonly modules = new Map<string, string>();
  private bytes = 0;

  /** Stores (or replaces) a module; throws ERR_PROTOCOL past the cap. */
  put(url: string, code: string): void {
    const before = this.modules.get(url)?.length ?? 0;
    if (this.bytes - before + code.length > MAX_MODULE_BYTES)
      throw new BaskError(
        'ERR_PROTOCOL',
        `task modules would exceed ${MAX_MODULE_BYTES / 1024 ** 2} MiB on this scheduler`,
      );
    this.bytes += code.length - before;
    this.modules.set(url, code);
  }

  /** A module's text, or undefined when none was uploaded under `url`. */
  get(url: string): string | undefined {
    return this.modules.get(url);
  }
}
