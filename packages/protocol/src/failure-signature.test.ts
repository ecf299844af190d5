import { describe, expect, it } from 'vitest';
import { failureSignature } from './failure-signature.js';

describe('failureSignature', () => {
  it('masks paths and numbers', () => {
    expect(failureSignature('Assertion failed at /work/tb/top.sv:123')).toBe('Assertion failed at <path>:<n>');
    expect(failureSignature('Assertion failed at ./rtl/alu.sv:9')).toBe('Assertion failed at <path>:<n>');
  });
  it('masks hex, times and quoted strings, so equal failures share a signature', () => {
    const a = failureSignature("[2024-03-01 10:00:00] read 0xdeadbeef from 'mem_a' after 12.5 ns (seed 42)");
    const b = failureSignature('[2025-11-30T23:59:59Z] read 0x10 from "mem_b" after 3 ns (seed 7)');
    expect(a).toBe('[<time>] read <hex> from <str> after <n> ns (seed <n>)');
    expect(b).toBe(a);
    expect(failureSignature('at 10:31:02.5 checksum 9f86d081884c7d65 mismatch')).toBe('at <time> checksum <hex> mismatch');
  });
  it('keeps words with apostrophes and ids readable, uses the first line, bounds the length', () => {
    expect(failureSignature("can't open sim_3")).toBe("can't open sim_<n>");
    expect(failureSignature('first\nsecond')).toBe('first');
    expect(failureSignature('x'.repeat(500)).length).toBe(200);
  });
});
