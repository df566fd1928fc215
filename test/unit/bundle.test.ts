/**
 * Task-module bundling for the cluster (src/client/bundle.ts): esbuild is an optional peer,
 * loaded on first use; without it, shipping a file: module fails with install advice.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';

const TASKS = new URL('../conformance/tasks.ts', import.meta.url).href;

afterEach(() => {
  vi.doUnmock('esbuild');
  vi.resetModules();
});

describe('bundleModule', () => {
  it('bundles a file: task module into one ES module text', async () => {
    const { bundleModule } = await import('../../src/client/bundle.js');
    const code = await bundleModule(TASKS);
    expect(code).toContain('export');
    expect(code).toContain(JSON.stringify(TASKS));
  });

  it('says to install esbuild when the optional peer is missing', async () => {
    vi.doMock('esbuild', () => {
      throw new Error("Cannot find package 'esbuild'");
    });
    const { bundleModule } = await import('../../src/client/bundle.js');
    const failure = bundleModule(TASKS);
    await expect(failure).rejects.toMatchObject({ code: 'ERR_UNSHIPPABLE_FUNCTION' });
    await expect(failure).rejects.toThrow(/npm install esbuild/);
  });
});
