/** The scheduler's access decisions (server/scheduler/guard.ts), case by case. */
import { networkInterfaces } from 'node:os';
import { describe, expect, it } from 'vitest';
import {
  Bucket,
  ConnectionBudget,
  admit,
  isOwnAddress,
  normalizeAddress,
  originAllowed,
  sameSecret,
  type AccessPolicy,
} from '../../server/scheduler/guard.js';

const policy = (extra: Partial<AccessPolicy> = {}): AccessPolicy => ({
  httpPort: () => 8787,
  ...extra,
});

describe('admit', () => {
  it('serves a role without a token to this machine only', () => {
    expect(admit(policy(), 'client', undefined, true)).toBeUndefined();
    const remote = admit(policy(), 'client', undefined, false);
    expect(remote?.reason).toBe('local-only');
    expect(remote?.message).toMatch(/--client-token/);
    expect(admit(policy(), 'worker', 'anything', false)?.message).toMatch(/--worker-token/);
    expect(admit(policy(), 'dashboard', undefined, false)?.reason).toBe('local-only');
  });

  it('wants the role’s own token, from anywhere, and never the other role’s', () => {
    const p = policy({ clientToken: 'c-secret', workerToken: 'w-secret' });
    expect(admit(p, 'client', 'c-secret', false)).toBeUndefined();
    expect(admit(p, 'worker', 'w-secret', false)).toBeUndefined();
    expect(admit(p, 'dashboard', 'c-secret', false)).toBeUndefined();
    expect(admit(p, 'client', 'w-secret', true)?.reason).toBe('auth');
    expect(admit(p, 'worker', 'c-secret', true)?.reason).toBe('auth');
    expect(admit(p, 'client', undefined, true)?.message).toMatch(/needs a client token/);
    expect(admit(p, 'worker', 42, true)?.message).toMatch(/Wrong worker token/);
  });

  it('opens dashboards with the dashboard token or the client token, and nothing else with it', () => {
    const p = policy({
      clientToken: 'c-secret',
      workerToken: 'w-secret',
      dashboardToken: 'd-secret',
    });
    expect(admit(p, 'dashboard', 'd-secret', false)).toBeUndefined();
    expect(admit(p, 'dashboard', 'c-secret', false)).toBeUndefined();
    expect(admit(p, 'dashboard', 'w-secret', false)?.message).toMatch(/Wrong dashboard/);
    expect(admit(p, 'client', 'd-secret', false)?.reason).toBe('auth');
    expect(admit(p, 'worker', 'd-secret', false)?.reason).toBe('auth');
    // A dashboard token alone: dashboards need it from anywhere; clients stay local-only.
    const onlyDashboard = policy({ dashboardToken: 'd-secret' });
    expect(admit(onlyDashboard, 'dashboard', undefined, true)?.message).toMatch(
      /--dashboard-token/,
    );
    expect(admit(onlyDashboard, 'client', undefined, true)).toBeUndefined();
    expect(admit(onlyDashboard, 'client', undefined, false)?.reason).toBe('local-only');
  });

  it('compares secrets whole', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'abc')).toBe(false);
    expect(sameSecret(undefined, 'abc')).toBe(false);
  });
});

describe('isOwnAddress', () => {
  it('knows loopback and this machine’s interfaces, and nothing else', () => {
    expect(isOwnAddress('127.0.0.1')).toBe(true);
    expect(isOwnAddress('::ffff:127.0.0.1')).toBe(true);
    expect(isOwnAddress('::1')).toBe(true);
    for (const list of Object.values(networkInterfaces()))
      for (const info of list ?? []) expect(isOwnAddress(info.address)).toBe(true);
    expect(isOwnAddress('203.0.113.9')).toBe(false);
    expect(isOwnAddress('::ffff:198.51.100.1')).toBe(false);
    expect(isOwnAddress(undefined)).toBe(false);
    expect(normalizeAddress('fe80::1%eth0')).toBe('fe80::1');
  });
});

describe('originAllowed', () => {
  it('lets programs (no Origin), localhost pages and the scheduler’s own pages in', () => {
    expect(originAllowed(policy(), undefined, '127.0.0.1:8786')).toBe(true);
    expect(originAllowed(policy(), 'http://localhost:5173', 'example.org:8786')).toBe(true);
    expect(originAllowed(policy(), 'http://127.0.0.1:3000', 'example.org:8786')).toBe(true);
    expect(originAllowed(policy(), 'http://[::1]:3000', 'example.org:8786')).toBe(true);
    // Its own pages: the dashboard port on the host the browser reached the scheduler by.
    expect(originAllowed(policy(), 'https://bask.example.org:8787', 'bask.example.org:8786')).toBe(
      true,
    );
  });

  it('refuses other sites, other ports of the same host, and odd origins', () => {
    expect(originAllowed(policy(), 'https://evil.example.com', 'bask.example.org:8786')).toBe(
      false,
    );
    expect(originAllowed(policy(), 'https://bask.example.org:9999', 'bask.example.org:8786')).toBe(
      false,
    );
    expect(originAllowed(policy(), 'https://bask.example.org', 'bask.example.org:8786')).toBe(
      false,
    );
    expect(originAllowed(policy(), 'null', 'bask.example.org:8786')).toBe(false);
    expect(originAllowed(policy(), 'file://', '127.0.0.1:8786')).toBe(false);
    expect(originAllowed(policy(), 'http://localhost.evil.com', '127.0.0.1:8786')).toBe(false);
  });

  it('adds --allow-origin entries, or everything with *', () => {
    const listed = policy({ allowOrigins: ['https://app.example.org'] });
    expect(originAllowed(listed, 'https://app.example.org', 'x:1')).toBe(true);
    expect(originAllowed(listed, 'https://app.example.org:444', 'x:1')).toBe(false);
    expect(originAllowed(policy({ allowOrigins: ['*'] }), 'https://any.example', 'x:1')).toBe(true);
  });
});

describe('budgets', () => {
  it('allows a burst, then the sustained rate', () => {
    const bucket = new Bucket(10, 5, 0);
    for (let i = 0; i < 5; i++) expect(bucket.take(1, 0)).toBe(true);
    expect(bucket.take(1, 0)).toBe(false);
    expect(bucket.take(1, 200)).toBe(true); // 2 refilled, 1 owed before: back to 0
    expect(bucket.take(1, 200)).toBe(false);
    expect(bucket.take(5, 10_000)).toBe(true); // refills up to the burst only
    expect(bucket.take(1, 10_000)).toBe(false);
  });

  it('spends messages and bytes together', () => {
    const budget = new ConnectionBudget(
      { messagesPerSecond: 100, messageBurst: 100, bytesPerSecond: 1000, byteBurst: 1000 },
      0,
    );
    expect(budget.spend(900, 0)).toBe(true);
    expect(budget.spend(200, 0)).toBe(false);
  });
});
