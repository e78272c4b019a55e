// What operators are told when a load is held instead of going live: which checks failed and
// by how much (value against threshold), what stays live, and the two ways out. Pure text.
import type { CheckResult } from './release-checks.js';

/** Why a complete load was held: a release check failed, or the dataset waits for approval (promote: manual). */
export type HoldReason = 'checks-failed' | 'manual-approval';

export interface HeldNotice {
  /** SNS subjects are at most 100 ASCII characters. */
  subject: string;
  message: string;
}

const SUBJECT_MAX = 100;

export function formatCheck(c: CheckResult): string {
  return `${c.name}: ${c.value ?? 'not measured'} (threshold ${c.threshold}): ${c.detail}`;
}

export function heldNotice(input: { dataset: string; version: string; reason: HoldReason; checks: readonly CheckResult[]; records: number; live: string }): HeldNotice {
  const failed = input.checks.filter((c) => c.outcome === 'fail');
  const why =
    input.reason === 'checks-failed'
      ? `${failed.length} release check${failed.length === 1 ? '' : 's'} failed`
      : 'the dataset is set to manual approval (promote: manual); every check passed';
  const subject = `Sluice: ${input.dataset} version ${input.version} held, not live`.replace(/[^\x20-\x7e]/g, '?');
  const lines = [
    `Version ${input.version} of dataset ${input.dataset} was loaded (${input.records} records) but is held, not live: ${why}.`,
    ...(input.reason === 'checks-failed' ? failed.map((c) => `  ${formatCheck(c)}`) : []),
    input.live ? `The live version (${input.live}) is untouched and keeps answering.` : 'The dataset has no live version yet.',
    `Make it live: sluice promote ${input.version} --dataset ${input.dataset}  (deployed: the admin function, {"action":"promote","dataset":"${input.dataset}","version":"${input.version}"})`,
    `Delete it:    sluice discard ${input.version} --dataset ${input.dataset}  (deployed: {"action":"discard",...})`,
  ];
  return { subject: subject.length > SUBJECT_MAX ? `${subject.slice(0, SUBJECT_MAX - 3)}...` : subject, message: lines.join('\n') };
}
