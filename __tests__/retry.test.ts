import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../src/errors.ts';
import { backoffMs, DEFAULT_POLICY, withRetry, type RetryPolicy } from '../src/retry.ts';

const policy = (maxAttempts: number): RetryPolicy => ({ ...DEFAULT_POLICY, maxAttempts });

function scripted(outcomes: (ActionError | Error | string)[]) {
  const sleeps: number[] = [];
  let calls = 0;
  const operation = async () => {
    const outcome = outcomes[calls++];
    if (typeof outcome === 'string') return outcome;
    throw outcome;
  };
  const deps = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
  return { operation, deps, sleeps, calls: () => calls };
}

const transient = (retryAfterSeconds?: number) =>
  new ActionError('KlearStack is unavailable (HTTP 503).', {
    status: 503,
    retryable: true,
    retryAfterSeconds
  });
const permanent = () =>
  new ActionError('KlearStack rejected the request (HTTP 401).', { status: 401 });

describe('retrying', () => {
  it('retries transient failures and returns the value with the attempt count', async () => {
    const s = scripted([transient(), transient(), 'token']);
    await expect(withRetry(s.operation, policy(3), s.deps)).resolves.toEqual({
      value: 'token',
      attempts: 3
    });
    expect(s.sleeps).toHaveLength(2);
  });

  it('never retries a permanent failure', async () => {
    const s = scripted([permanent(), 'token']);
    await expect(withRetry(s.operation, policy(3), s.deps)).rejects.toThrow('(HTTP 401).');
    expect(s.calls()).toBe(1);
    expect(s.sleeps).toEqual([]);
  });

  it('says which attempt met a permanent failure after transient ones', async () => {
    const s = scripted([transient(), permanent()]);
    await expect(withRetry(s.operation, policy(3), s.deps)).rejects.toThrow('(on attempt 2 of 3)');
  });

  it('stops at max-attempts, does not sleep after the last, and says how many attempts were made', async () => {
    const s = scripted([transient(), transient(), transient(), 'never']);
    await expect(withRetry(s.operation, policy(3), s.deps)).rejects.toThrow(
      /HTTP 503\)\. \(gave up after 3 attempts in \d+\.\d s; max-attempts is 3\)/
    );
    expect(s.calls()).toBe(3);
    expect(s.sleeps).toHaveLength(2);
  });

  it('max-attempts 1 means no retry', async () => {
    const s = scripted([transient(), 'token']);
    await expect(withRetry(s.operation, policy(1), s.deps)).rejects.toThrow(
      'gave up after 1 attempt in'
    );
    expect(s.calls()).toBe(1);
  });

  it('lets unexpected errors (bugs) through untouched', async () => {
    const bug = new TypeError('boom');
    const s = scripted([bug]);
    await expect(withRetry(s.operation, policy(3), s.deps)).rejects.toBe(bug);
  });

  it('reports each retry before sleeping', async () => {
    const s = scripted([transient(), 'token']);
    const events: string[] = [];
    await withRetry(s.operation, policy(3), {
      ...s.deps,
      onRetry: e => events.push(`${e.attempt}:${e.delayMs}`)
    });
    expect(events).toEqual([`1:${s.sleeps[0]}`]);
  });
});

describe('backoff', () => {
  const p = policy(5);
  it('is full jitter below an exponentially growing ceiling', () => {
    expect(backoffMs(1, p, 0.999)).toBe(999);
    expect(backoffMs(2, p, 0.999)).toBe(1998);
    expect(backoffMs(3, p, 0.5)).toBe(2000);
    expect(backoffMs(1, p, 0)).toBe(0);
  });

  it('never exceeds the maximum delay', () => {
    expect(backoffMs(10, p, 0.999)).toBeLessThan(p.maxDelayMs);
  });

  it('honours Retry-After as a floor, with jitter on top', () => {
    expect(backoffMs(1, p, 0, 5)).toBe(5000);
    expect(backoffMs(1, p, 0.5, 5)).toBe(5500);
  });

  it('caps Retry-After so one header cannot park a job', () => {
    expect(backoffMs(1, p, 0, 3600)).toBe(p.maxRetryAfterMs);
  });

  it('uses Retry-After from the error when retrying', async () => {
    const s = scripted([transient(4), 'token']);
    await withRetry(s.operation, policy(2), { ...s.deps, random: () => 0 });
    expect(s.sleeps).toEqual([4000]);
  });
});
