import { once } from '../../lib/verifier-deps';

describe('once', () => {
  it('builds on first use and hands every later call the same value', async () => {
    let builds = 0;
    const deps = once(async () => ({ build: (builds += 1) }));

    const [first, second] = await Promise.all([deps(), deps()]);
    const third = await deps();

    expect(builds).toBe(1);
    expect(second).toBe(first);
    expect(third).toBe(first);
  });

  it('does not keep a failure: the next call builds again', async () => {
    let attempts = 0;
    const deps = once(async () => {
      attempts += 1;
      if (attempts === 1) throw new Error('secret store out of reach');
      return 'built';
    });

    const failed = deps();
    await expect(failed).rejects.toThrow('out of reach');
    const retried = await deps();

    expect(retried).toBe('built');
  });

  it('builds again once the value is older than maxAgeMs, and keeps the old value if that rebuild fails', async () => {
    let clock = 0;
    let builds = 0;
    let failing = false;
    const deps = once(
      async () => {
        if (failing) throw new Error('throttled');
        return `value ${(builds += 1)}`;
      },
      { maxAgeMs: 300_000, now: () => clock },
    );

    const fresh = await deps();
    clock += 299_999;
    const stillFresh = await deps();
    clock += 1;
    const rebuilt = await deps();
    clock += 300_000;
    failing = true;
    const kept = await deps();
    failing = false;
    const recovered = await deps();

    expect([fresh, stillFresh, rebuilt, kept, recovered]).toEqual(['value 1', 'value 1', 'value 2', 'value 2', 'value 3']);
  });
});
