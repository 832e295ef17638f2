import { describe, expect, it } from 'vitest';
import { lazyRetrying } from '../../../lambda/shared/lazy.js';

describe('lazyRetrying', () => {
  it('builds once and hands every caller the same value, concurrent callers included', async () => {
    let builds = 0;
    const get = lazyRetrying(async () => ({ n: ++builds }));
    const [a, b] = await Promise.all([get(), get()]);
    const c = await get();
    expect(builds).toBe(1);
    expect(a).toBe(b);
    expect(c).toBe(a);
  });

  it('does not build before the first call', () => {
    let builds = 0;
    lazyRetrying(async () => ++builds);
    expect(builds).toBe(0);
  });

  it('retries a build that failed on the next call and caches the one that succeeds', async () => {
    let builds = 0;
    const get = lazyRetrying(async () => {
      builds += 1;
      if (builds === 1) throw new Error('KMS unavailable');
      return 'ready';
    });
    await expect(get()).rejects.toThrow('KMS unavailable');
    await expect(get()).resolves.toBe('ready');
    await expect(get()).resolves.toBe('ready');
    expect(builds).toBe(2);
  });

  it('turns a factory that throws synchronously into a rejected promise, then retries', async () => {
    let builds = 0;
    const get = lazyRetrying<string>(() => {
      builds += 1;
      if (builds === 1) throw new Error('bad wiring');
      return Promise.resolve('ok');
    });
    await expect(get()).rejects.toThrow('bad wiring');
    await expect(get()).resolves.toBe('ok');
  });
});
