// The input-format registry: one module per planned format, asked in a fixed order.
import type { InputFormat } from '../../../functions/domain/chunk-plan.js';
import { byteFormat, detectFormat, formatModule, rowFormat } from '../../../functions/domain/formats/registry.js';
import { InvalidInputError } from '../../../functions/errors.js';

test('every format a plan can name has its module, read as bytes or in row groups', () => {
  const formats: InputFormat[] = ['jsonl', 'json', 'csv', 'parquet'];
  for (const f of formats) expect(formatModule(f).name).toBe(f);
  expect(formats.filter((f) => byteFormat(f))).toEqual(['jsonl', 'json', 'csv']);
  expect(formats.filter((f) => rowFormat(f))).toEqual(['parquet']);
  expect(byteFormat('json')!.cut).toBe('whole');
  expect(byteFormat('csv')!.cut).toBe('ranges');
  expect(() => formatModule('orc' as InputFormat)).toThrow(new InvalidInputError('no input format is called "orc" (known: parquet, json, jsonl, csv)'));
});

test('the order is the precedence: a pandas document before JSON Lines, JSON Lines before CSV', () => {
  expect(detectFormat(Buffer.from('{"schema":{},"data":[{"userId":1}]}'), 'auto')).toEqual({ ok: true, format: 'json', settled: true });
  expect(detectFormat(Buffer.from('{"data":[1]}\n{"data":[2]}\n'), 'auto')).toEqual({ ok: true, format: 'jsonl', settled: true });
  expect(detectFormat(Buffer.from('not json\n{"a":1,"b":2}\n'), 'auto')).toEqual({ ok: true, format: 'jsonl', settled: true });
  expect(detectFormat(Buffer.from('userId,r1\nu1,1\n'), 'auto')).toEqual({ ok: true, format: 'csv', settled: true });
});
