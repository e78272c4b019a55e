// Plan over in-memory objects and versions: which objects a prefix loads, what a plan that finds
// none says, and how the input-completeness check treats a job input it cannot read.
import { checkedDataType } from '../../../functions/domain/input-completeness.js';
import type { IngestRequest } from '../../../functions/domain/ingest-request.js';
import { InvalidInputError } from '../../../functions/errors.js';
import { planLoad } from '../../../functions/pipeline/plan-load.js';
import { testPipeline } from './fixtures.js';

const line = (user: string) => `{"userId":"${user}","recommendations":[1,2]}\n`;

function request(key: string, extra: Partial<IngestRequest> = {}): IngestRequest {
  return { bucket: 'out', key, singleObject: false, origin: 'test', explicitVersion: 'v1', orderKey: 1, ...extra };
}

describe('the input-completeness check and the job input', () => {
  test('an S3DataType the check cannot read is an InvalidInputError naming it and the way out', () => {
    expect(checkedDataType('S3Prefix')).toBe('S3Prefix');
    expect(checkedDataType('ManifestFile')).toBe('ManifestFile');
    expect(() => checkedDataType('AugmentedManifestFile')).toThrow(InvalidInputError);
    expect(() => checkedDataType('AugmentedManifestFile')).toThrow(
      'S3DataType AugmentedManifestFile is not one the input-completeness check reads (S3Prefix, ManifestFile); switch the check off for this dataset (checks.inputCompleteness: false)',
    );
  });

  test('Plan records it as the check error on the version: the check then fails, the load is planned', async () => {
    const p = testPipeline();
    p.objects.objects.set('out/job/part-0.out', Buffer.from(line('u1')));
    const transformInput = { dataType: 'AugmentedManifestFile', bucket: 'in', key: 'm.manifest' };
    const plan = await planLoad(request('job', { transformInput }), 'exec-1', p.deps);
    expect(plan).toMatchObject({ action: 'load', objects: 1 });
    const check = JSON.parse((await p.versions.get('v1'))!.fields.inputCheck!) as { error: string };
    expect(check.error).toBe('s3://in/m.manifest: S3DataType AugmentedManifestFile is not one the input-completeness check reads (S3Prefix, ManifestFile); switch the check off for this dataset (checks.inputCompleteness: false)');
  });
});
