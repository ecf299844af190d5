import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkSchedulerArgs, closestName, defineScheduler } from './scheduler.js';

const OPTIONS = { concurrency: z.string().regex(/^\d+$/, 'expected a positive whole number').optional(), memory: z.string().optional() };

describe('checkSchedulerArgs', () => {
  it('refuses an unknown key, suggesting the closest declared one when it looks like a typo', () => {
    expect(() => checkSchedulerArgs('local', { concurency: '4' }, OPTIONS)).toThrow(/Unknown option `concurency`.*Did you mean concurrency\?/);
    expect(() => checkSchedulerArgs('local', { partition: 'x' }, OPTIONS)).toThrow(/Unknown option `partition`/);
    expect(() => checkSchedulerArgs('local', { partition: 'x' }, OPTIONS)).not.toThrow(/Did you mean/);
  });

  it('refuses a bad value with its schema message, and lets known and extra keys through', () => {
    expect(() => checkSchedulerArgs('local', { concurrency: 'abc' }, OPTIONS)).toThrow(/`concurrency=abc` is invalid: expected a positive whole number/);
    expect(() => checkSchedulerArgs('local', { concurrency: '4', memory: '100', pool: 'x' }, OPTIONS, ['pool'])).not.toThrow();
  });

  it('closestName only suggests near names', () => {
    expect(closestName('slrum', ['local', 'slurm', 'sge'])).toBe('slurm');
    expect(closestName('kubernetes', ['local', 'slurm', 'sge'])).toBeUndefined();
  });

  it('defineScheduler keeps the declared options on the factory', () => {
    const factory = defineScheduler(() => ({}) as never, { options: OPTIONS });
    expect(Object.keys(factory.options ?? {})).toEqual(['concurrency', 'memory']);
  });
});
