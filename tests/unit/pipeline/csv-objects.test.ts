// CSV objects through Plan and LoadChunk over in-memory objects: a header is never a record, and
// a tab-separated object is split on tabs without being declared.
import { csvObjectLayout } from '../../../functions/domain/formats/csv/csv-header.js';
import { parseCsvLayout } from '../../../functions/domain/csv-layout.js';
import { loadChunk } from '../../../functions/pipeline/load-chunk.js';
import { planLoad } from '../../../functions/pipeline/plan-load.js';
import { testPipeline } from './fixtures.js';

/** Plans s3://out/csv/ with these objects and loads every chunk; returns the stored values by key. */
async function load(csv: unknown, objects: Record<string, string>) {
  const p = testPipeline({ name: 'csvobj', csv: parseCsvLayout(csv, 'dataset csvobj') });
  for (const [name, body] of Object.entries(objects)) p.objects.objects.set(`out/csv/${name}`, Buffer.from(body));
  const plan = await planLoad({ bucket: 'out', key: 'csv', singleObject: false, origin: 'test', explicitVersion: 'v1', orderKey: 1 }, 'exec-1', p.deps);
  let badRecords = 0;
  for (const chunk of plan.chunks) badRecords += (await loadChunk({ dataset: p.deps.dataset, version: 'v1', owner: 'exec-1', chunk }, p.deps)).badRecords;
  const stored = new Map<string, string>();
  for (const hash of p.versions.data.values()) for (const [k, v] of hash) stored.set(k, v);
  return { stored, badRecords };
}

describe('a CSV header is never loaded as a record', () => {
  const columns = { columns: ['userId', 'r1', 'r2', 'r3'], items: { trailing: 3 } };

  test('declared columns: a first line equal to them is a header and skipped; an object without one loads its first line', async () => {
    const { stored, badRecords } = await load(columns, {
      'with-header.out': 'userId,r1,r2,r3\nu1,1,2,3\nu2,4,5,6\n',
      'crlf-bom.out': '\ufeffuserId , r1,r2,r3\r\nu3,7,8,9\r\n',
      'no-header.out': 'u4,10,11,12\nu5,13,14,15\n',
    });
    expect(badRecords).toBe(0);
    expect(stored.has('userId')).toBe(false);
    expect(Object.fromEntries(stored)).toEqual({ u1: '[1,2,3]', u2: '[4,5,6]', u3: '[7,8,9]', u4: '[10,11,12]', u5: '[13,14,15]' });
  });

  test('the header is found per object, and only on its first line', async () => {
    expect(csvObjectLayout(Buffer.from('userId,r1,r2,r3'), parseCsvLayout(columns, 'x'), () => null)).toEqual({ columns: columns.columns, header: true, delimiter: ',' });
    expect(csvObjectLayout(Buffer.from('u1,1,2,3'), parseCsvLayout(columns, 'x'), () => null)).toEqual({ columns: columns.columns, header: false, delimiter: ',' });
    expect(csvObjectLayout(null, parseCsvLayout(columns, 'x'), () => null)).toEqual({ columns: columns.columns, header: false, delimiter: ',' });
  });
});

describe('the delimiter of an object is found in its first line', () => {
  test('a TSV with a header loads split on tabs, with no delimiter declared', async () => {
    const { stored, badRecords } = await load({ items: { trailing: 3 } }, { 'part-0.out': 'userId\tr1\tr2\tr3\nu1\t1\t2\t3\nu2\t4\t"a,b"\t6\n' });
    expect(badRecords).toBe(0);
    expect(Object.fromEntries(stored)).toEqual({ u1: '[1,2,3]', u2: '[4,"a,b",6]' });
  });

  test('header-less objects with declared columns: the delimiter that gives that many fields', () => {
    const layout = parseCsvLayout({ columns: ['userId', 'note', 'r1'] }, 'x');
    expect(csvObjectLayout(Buffer.from('u1\ta,b\t3'), layout, () => null)).toMatchObject({ delimiter: '\t', header: false });
    expect(csvObjectLayout(Buffer.from('u1,a\tb,3'), layout, () => null)).toMatchObject({ delimiter: ',', header: false });
    // A declared delimiter is used as it is.
    expect(csvObjectLayout(Buffer.from('userId\tr1'), parseCsvLayout({ delimiter: ';' }, 'x'), () => null)).toMatchObject({ delimiter: ';', columns: ['userId\tr1'] });
  });

  test('a header that does not split fails the plan suggesting csv.delimiter', async () => {
    await expect(load(undefined, { 'part-0.out': 'userId;r1;r2\nu1;1;2\n' })).rejects.toThrow(
      's3://out/csv/part-0.out: the CSV columns do not fit dataset csvobj: no key column (userId, user_id) among the columns userId;r1;r2; ' +
        'the header line is one column when split on ",": if the objects use another delimiter, declare it in the dataset\'s csv, e.g. "csv": {"delimiter": ";"}',
    );
    const declared = await load({ delimiter: ';', items: { trailing: 2 } }, { 'part-0.out': 'userId;r1;r2\nu1;1;2\n' });
    expect(Object.fromEntries(declared.stored)).toEqual({ u1: '[1,2]' });
  });
});
