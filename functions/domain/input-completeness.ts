// Did the transform job write an output for every input object? SageMaker batch transform
// uploads `<relative key>.out` under S3OutputPath only for each input object it finished, so a
// job that stopped part-way can still report Completed with some files absent. Pure: the
// listings come in, the missing outputs come out.
import { InvalidInputError } from '../errors.js';

/** Where the job read its input (detail.TransformInput.DataSource.S3DataSource). */
export interface TransformInput {
  /** 'S3Prefix': every object under the prefix; 'ManifestFile': the objects a manifest lists; others are not checked (the check fails, saying so). */
  dataType: string;
  bucket: string;
  key: string;
}

/** Measured at Plan and stored on the version as `inputCheck`. */
export interface InputCompleteness {
  inputs: number;
  missing: number;
  /** The first missing outputs, as s3:// URIs. */
  missingSamples: string[];
  /** Set when the input could not be listed or read: nothing was measured. */
  error?: string;
}

const MISSING_SAMPLES = 10;

/** The S3DataTypes whose input the check can list: a prefix, or a manifest of keys. */
const CHECKED_DATA_TYPES = ['S3Prefix', 'ManifestFile'] as const;
type CheckedDataType = (typeof CHECKED_DATA_TYPES)[number];

/**
 * The job's S3DataType if the check can read its input. Any other (AugmentedManifestFile, say)
 * is an InvalidInputError that says how to go on: Plan records it as the check's error.
 */
export function checkedDataType(dataType: string): CheckedDataType {
  const known = CHECKED_DATA_TYPES.find((t) => t === dataType);
  if (known) return known;
  throw new InvalidInputError(
    `S3DataType ${dataType} is not one the input-completeness check reads (${CHECKED_DATA_TYPES.join(', ')}); switch the check off for this dataset (checks.inputCompleteness: false)`,
  );
}

/** One input object: its key and its key relative to the job's input location. */
export interface InputObjectRef {
  key: string;
  relative: string;
}

/**
 * A manifest is a JSON array: {"prefix": "s3://bucket/path/"} first, then keys relative to it.
 * Returns the bucket, the prefix's key and the objects.
 */
export function parseManifest(text: string, where: string): { bucket: string; prefix: string; objects: InputObjectRef[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidInputError(`manifest ${where} is not valid JSON`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new InvalidInputError(`manifest ${where} must be a JSON array starting with {"prefix": "s3://..."}`);
  const head = parsed[0] as { prefix?: unknown };
  if (typeof head !== 'object' || head === null || typeof head.prefix !== 'string') {
    throw new InvalidInputError(`manifest ${where}: its first element must be {"prefix": "s3://bucket/path/"}`);
  }
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(head.prefix);
  if (!m) throw new InvalidInputError(`manifest ${where}: prefix ${JSON.stringify(head.prefix)} is not an s3:// URI`);
  const prefix = m[2]!;
  const objects: InputObjectRef[] = [];
  parsed.slice(1).forEach((rel: unknown, i) => {
    if (typeof rel !== 'string' || rel === '') throw new InvalidInputError(`manifest ${where}: element ${i + 1} must be a non-empty relative key`);
    objects.push({ key: prefix + rel, relative: rel });
  });
  return { bucket: m[1]!, prefix, objects };
}

/**
 * The key of an object under an S3Prefix input, relative to the prefix's folder: an S3Uri of
 * s3://b/in/part matches in/part-1 and in/part-2, and their outputs are part-1.out, part-2.out.
 */
export function relativeToPrefix(key: string, prefix: string): string {
  const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  return key.slice(folder.length);
}

/** The output SageMaker writes for an input: `<output path>/<relative key>.out`. */
export function outputKeyFor(outputPrefix: string, relative: string): string {
  const folder = outputPrefix === '' || outputPrefix.endsWith('/') ? outputPrefix : `${outputPrefix}/`;
  return `${folder}${relative}.out`;
}

export function compareOutputs(
  inputs: readonly InputObjectRef[],
  output: { bucket: string; prefix: string },
  present: ReadonlySet<string>,
): InputCompleteness {
  const result: InputCompleteness = { inputs: inputs.length, missing: 0, missingSamples: [] };
  for (const input of inputs) {
    const key = outputKeyFor(output.prefix, input.relative);
    if (present.has(key)) continue;
    result.missing++;
    if (result.missingSamples.length < MISSING_SAMPLES) result.missingSamples.push(`s3://${output.bucket}/${key}`);
  }
  return result;
}
