import fc from 'fast-check';
import { planChunks, type InputObject } from '../../../functions/domain/chunk-plan.js';

const obj = (key: string, size: number, format: 'jsonl' | 'json' = 'jsonl'): InputObject => ({ bucket: 'b', key, etag: `"${key}"`, size, format });

describe('planChunks', () => {
  test('the parts of every object tile [0, size) exactly, in order, whatever the sizes', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ size: fc.integer({ min: 0, max: 5000 }), json: fc.boolean() }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 50 }),
        (specs, chunkSize, maxChunks) => {
          const objects = specs.map((s, i) => obj(`o${i}`, s.size, s.json ? 'json' : 'jsonl'));
          const plan = planChunks(objects, chunkSize, maxChunks);
          plan.chunks.forEach((c, i) => expect(c.index).toBe(i));
          for (const o of objects) {
            const parts = plan.chunks.flatMap((c) => c.parts).filter((p) => p.key === o.key);
            let next = 0;
            for (const p of parts) {
              expect(p.start).toBe(next);
              expect(p.end).toBeGreaterThan(p.start);
              next = p.end;
            }
            expect(next).toBe(o.size);
            if (o.format === 'json' && o.size > 0) expect(parts).toHaveLength(1);
          }
          expect(plan.totalBytes).toBe(objects.reduce((s, o) => s + o.size, 0));
        },
      ),
    );
  });

  test('packs small objects together and splits big ones', () => {
    const plan = planChunks([obj('a', 10), obj('b', 10), obj('c', 10), obj('big', 75)], 30, 100);
    expect(plan.chunks.map((c) => c.parts.map((p) => `${p.key}:${p.start}-${p.end}`))).toEqual([
      ['a:0-10', 'b:0-10', 'c:0-10'],
      ['big:0-30'],
      ['big:30-60'],
      ['big:60-75'],
    ]);
  });

  test('grows the chunk size to stay near maxChunks (Step Functions payload limit)', () => {
    const plan = planChunks([obj('a', 1_000_000)], 10, 4);
    expect(plan.chunkSizeBytes).toBe(250_000);
    expect(plan.chunks).toHaveLength(4);
  });
});
