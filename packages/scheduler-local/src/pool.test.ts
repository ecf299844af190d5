import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ResourcePool, defaultWarmAhead, impossibleReasons, type Demand, type Ticket } from './pool.js';

const limits = { cores: 4, memoryMb: 1000, licenses: { sim: 2 } };
const demand = (cores: number, memoryMb = 0, licenses: Record<string, number> = {}): Demand => ({ cores, memoryMb, licenses });

function within(pool: ResourcePool): void {
  const used = pool.used;
  expect(used.cores).toBeLessThanOrEqual(pool.limits.cores);
  expect(used.memoryMb).toBeLessThanOrEqual(pool.limits.memoryMb);
  for (const [name, seats] of Object.entries(used.licenses)) expect(seats).toBeLessThanOrEqual(pool.limits.licenses[name] ?? 0);
}

describe('impossibleReasons', () => {
  it('names each resource that can never fit', () => {
    expect(impossibleReasons(demand(4, 1000, { sim: 2 }), limits)).toEqual([]);
    const reasons = impossibleReasons(demand(5, 2000, { sim: 3, other: 1 }), limits);
    expect(reasons).toEqual([
      'asks for 5 cores but the local pool has 4 (--sched-arg concurrency=N to change it)',
      'asks for 2000 MB of memory but the local pool has 1000 MB (--sched-arg memory=MB to change it)',
      "asks for 3 seats of license 'sim' but the local pool has 2 (--sched-arg licenses=sim:N to change it)",
      "asks for license 'other' but the local pool declares no such license (--sched-arg licenses=other:N to declare it)",
    ]);
  });
});

describe('defaultWarmAhead', () => {
  it('is the slot count, plus one per CPU core the slots leave idle, at most twice the slots', () => {
    expect(defaultWarmAhead(1, 2)).toBe(2);
    expect(defaultWarmAhead(2, 2)).toBe(2);
    expect(defaultWarmAhead(4, 2)).toBe(4);
    expect(defaultWarmAhead(1, 64)).toBe(2);
    expect(defaultWarmAhead(8, 12)).toBe(12);
    expect(defaultWarmAhead(0, 4)).toBe(0);
  });

  it('is what a pool uses unless told otherwise', () => {
    const pool = new ResourcePool({ cores: 1, memoryMb: 1000, licenses: {} });
    const warm: string[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e']) pool.request(name, demand(1), () => {}, () => warm.push(name));
    expect(warm).toEqual(['b', 'c', 'd', 'e'].slice(0, defaultWarmAhead(1)));
  });
});

describe('ResourcePool', () => {
  it('tells the first `warmAhead` waiting requests once, machine-wide, and never one already granted', () => {
    const pool = new ResourcePool({ cores: 2, memoryMb: 1000, licenses: {} }, { warmAhead: 2 });
    const warm: string[] = [];
    const granted: string[] = [];
    const tickets = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) =>
      pool.request(name, demand(1), () => granted.push(name), () => warm.push(name)),
    );
    // a, b run; c, d are the next two: told; e, f wait untold.
    expect(granted).toEqual(['a', 'b']);
    expect(warm).toEqual(['c', 'd']);
    pool.release(tickets[0]!);
    expect(granted).toEqual(['a', 'b', 'c']);
    expect(warm).toEqual(['c', 'd', 'e']);
    // A waiting one leaving the queue moves the next one up.
    pool.release(tickets[3]!);
    expect(warm).toEqual(['c', 'd', 'e', 'f']);
    pool.release(tickets[1]!);
    pool.release(tickets[2]!);
    expect(granted).toEqual(['a', 'b', 'c', 'e', 'f']);
    expect(warm).toEqual(['c', 'd', 'e', 'f']);
  });

  it('with every core taken, still grants a request that needs none, and drops queued ones on release', () => {
    const pool = new ResourcePool({ cores: 1, memoryMb: 1000, licenses: {} });
    const order: string[] = [];
    const a = pool.request('a', demand(1), () => order.push('a'));
    const b = pool.request('b', demand(1), () => order.push('b'));
    const c = pool.request('c', demand(0, 10), () => order.push('c'));
    const d = pool.request('d', demand(1), () => order.push('d'));
    expect(order).toEqual(['a', 'c']);
    expect(pool.release(b)).toBe('queued');
    expect(pool.release(a)).toBe('granted');
    expect(order).toEqual(['a', 'c', 'd']);
    expect(pool.release(c)).toBe('granted');
    expect(pool.release(c)).toBeUndefined();
    expect(pool.release(d)).toBe('granted');
    expect(pool.used.cores).toBe(0);
    expect(pool.queued).toBe(0);
  });

  it('grants in FIFO order while requests fit, and on release', () => {
    const pool = new ResourcePool(limits);
    const order: string[] = [];
    const a = pool.request('a', demand(2), () => order.push('a'));
    pool.request('b', demand(2), () => order.push('b'));
    pool.request('c', demand(1), () => order.push('c'));
    expect(order).toEqual(['a', 'b']);
    expect(pool.queued).toBe(1);
    pool.release(a);
    expect(order).toEqual(['a', 'b', 'c']);
    within(pool);
  });

  it('lets small requests skip a waiting big one, but only a bounded number of times', () => {
    const pool = new ResourcePool(limits, { skipAheadLimit: 2 });
    const order: string[] = [];
    const tickets = new Map<string, Ticket>();
    const ask = (name: string, cores: number) => tickets.set(name, pool.request(name, demand(cores), () => order.push(name)));
    ask('s1', 3);
    ask('big', 4);
    ask('x1', 1); // skips big (1)
    expect(order).toEqual(['s1', 'x1']);
    pool.release(tickets.get('x1')!);
    ask('x2', 1); // skips big (2)
    pool.release(tickets.get('x2')!);
    ask('x3', 1); // budget spent: waits behind big
    expect(order).toEqual(['s1', 'x1', 'x2']);
    pool.release(tickets.get('s1')!);
    expect(order).toEqual(['s1', 'x1', 'x2', 'big']);
    pool.release(tickets.get('big')!);
    expect(order).toEqual(['s1', 'x1', 'x2', 'big', 'x3']);
  });

  it('counts memory and license seats, and drops a queued request on release', () => {
    const pool = new ResourcePool(limits);
    const order: string[] = [];
    const m1 = pool.request('m1', demand(1, 600), () => order.push('m1'));
    const m2 = pool.request('m2', demand(1, 600), () => order.push('m2'));
    pool.request('l1', demand(1, 0, { sim: 2 }), () => order.push('l1'));
    const l2 = pool.request('l2', demand(1, 0, { sim: 1 }), () => order.push('l2'));
    expect(order).toEqual(['m1', 'l1']);
    expect(pool.release(m2)).toBe('queued');
    expect(pool.release(l2)).toBe('queued');
    expect(pool.release(m1)).toBe('granted');
    expect(pool.release(m1)).toBeUndefined();
    expect(order).toEqual(['m1', 'l1']);
    expect(pool.used).toEqual({ cores: 1, memoryMb: 0, licenses: { sim: 2 } });
  });

  it('never exceeds its limits, and grants every request once the running ones end (property)', () => {
    const demandArb = fc.record({
      cores: fc.integer({ min: 1, max: 4 }),
      memoryMb: fc.constantFrom(0, 0, 300, 700, 1000),
      licenses: fc.constantFrom<Record<string, number>>({}, {}, { sim: 1 }, { sim: 2 }),
    });
    const opArb = fc.oneof(
      fc.record({ kind: fc.constant('request' as const), demand: demandArb }),
      fc.record({ kind: fc.constant('release' as const), index: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 6 }), (ops, skipAheadLimit) => {
        const pool = new ResourcePool(limits, { skipAheadLimit });
        // Grants may happen inside request(), before it returns the ticket: hold it in a box.
        const running: { ticket?: Ticket }[] = [];
        let requested = 0;
        let grants = 0;
        for (const op of ops) {
          if (op.kind === 'request') {
            requested++;
            const box: { ticket?: Ticket } = {};
            box.ticket = pool.request('r', op.demand, () => {
              grants++;
              within(pool);
              running.push(box);
            });
          } else if (running.length > 0) {
            pool.release(running.splice(op.index % running.length, 1)[0]!.ticket!);
          }
          within(pool);
        }
        while (running.length > 0) pool.release(running.shift()!.ticket!);
        expect(grants).toBe(requested);
        expect(pool.queued).toBe(0);
        expect(pool.used).toEqual({ cores: 0, memoryMb: 0, licenses: expect.any(Object) });
      }),
    );
  });
});
