// Reading the state machine definition (statemachine/ingest.asl.json) for the template tests.
import { isObject, type Obj } from './cfn.js';

/** Placeholders named as TopicArn by sns:publish tasks, anywhere in the definition. */
export function snsPublishTopics(definition: unknown): string[] {
  const found: string[] = [];
  const walk = (x: unknown): void => {
    if (Array.isArray(x)) return x.forEach(walk);
    if (!isObject(x)) return;
    if (x.Type === 'Task' && String(x.Resource).startsWith('arn:aws:states:::sns:publish')) {
      const m = /^\$\{([^}]+)\}$/.exec(String((x.Parameters as Obj | undefined)?.TopicArn ?? ''));
      if (!m?.[1]) throw new Error('sns:publish task without a ${...} TopicArn');
      found.push(m[1]);
    }
    Object.values(x).forEach(walk);
  };
  walk(definition);
  return found;
}
