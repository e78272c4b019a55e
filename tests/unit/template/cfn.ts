// Reading template.yaml the way CloudFormation would, as far as the template tests need:
// short-form tags (yaml-cfn), conditions evaluated for given parameter values, Fn::If and
// AWS::NoValue resolved, and the logical ids a value refers to.
import { readFileSync } from 'node:fs';
import { yamlParse } from 'yaml-cfn';

export type Obj = Record<string, unknown>;

export interface Resource {
  Type: string;
  Condition?: string;
  Properties?: Obj;
  Metadata?: Obj;
}

export interface Template {
  Parameters: Record<string, Obj>;
  Conditions: Record<string, unknown>;
  Rules?: Record<string, { RuleCondition?: unknown; Assertions: { Assert: unknown; AssertDescription?: string }[] }>;
  Globals?: { Function?: Obj; StateMachine?: Obj };
  Resources: Record<string, Resource>;
  Outputs?: Record<string, Obj>;
}

export const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const asArray = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

export function loadTemplate(url: URL): Template {
  return yamlParse(readFileSync(url, 'utf8')) as Template;
}

export function resourcesOfType(t: Template, type: string): [string, Resource][] {
  return Object.entries(t.Resources).filter(([, r]) => r.Type === type);
}

/** The one-key intrinsic `{ "Fn::X": arg }` / `{ Ref: arg }`, if `v` is one. */
export function intrinsic(v: unknown): [string, unknown] | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  const key = keys[0];
  return keys.length === 1 && key !== undefined && (key === 'Ref' || key === 'Condition' || key.startsWith('Fn::')) ? [key, v[key]] : undefined;
}

/** Parameter values: the defaults, overridden by `overrides`. */
export function parameterValues(t: Template, overrides: Obj = {}): Obj {
  const values: Obj = {};
  for (const [name, p] of Object.entries(t.Parameters)) values[name] = p.Default;
  return { ...values, ...overrides };
}

export function evaluateCondition(t: Template, name: string, params: Obj): boolean {
  if (!(name in t.Conditions)) throw new Error(`unknown condition ${name}`);
  return Boolean(evaluate(t, t.Conditions[name], params));
}

function evaluate(t: Template, v: unknown, params: Obj): unknown {
  const fn = intrinsic(v);
  if (!fn) return v;
  const [key, arg] = fn;
  const args = asArray(arg);
  switch (key) {
    case 'Ref':
      if (typeof arg !== 'string' || !(arg in params)) throw new Error(`cannot evaluate Ref ${JSON.stringify(arg)} in a condition`);
      return params[arg];
    case 'Condition':
      return evaluateCondition(t, String(arg), params);
    case 'Fn::Not':
      return !evaluate(t, args[0], params);
    case 'Fn::And':
      return args.every((a) => evaluate(t, a, params));
    case 'Fn::Or':
      return args.some((a) => evaluate(t, a, params));
    case 'Fn::Equals':
      return String(evaluate(t, args[0], params)) === String(evaluate(t, args[1], params));
    case 'Fn::Join': {
      const [sep, list] = args;
      return asArray(evaluate(t, list, params)).map((x) => String(x)).join(String(sep));
    }
    default:
      throw new Error(`cannot evaluate ${key} in a condition`);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * `v` as deployed with `params`: Fn::If picks its branch, AWS::NoValue disappears, and Refs to
 * parameters become their values. Other intrinsics are left as they are.
 */
export function resolve(t: Template, v: unknown, params: Obj): unknown {
  const out = resolveInner(t, v, params);
  return out === NO_VALUE ? undefined : out;
}

function resolveInner(t: Template, v: unknown, params: Obj): unknown {
  const fn = intrinsic(v);
  if (fn?.[0] === 'Fn::If') {
    const [cond, yes, no] = asArray(fn[1]);
    return resolveInner(t, evaluateCondition(t, String(cond), params) ? yes : no, params);
  }
  if (fn?.[0] === 'Ref' && fn[1] === 'AWS::NoValue') return NO_VALUE;
  if (fn?.[0] === 'Ref' && typeof fn[1] === 'string' && fn[1] in t.Parameters) return params[fn[1]];
  if (Array.isArray(v)) return v.map((x) => resolveInner(t, x, params)).filter((x) => x !== NO_VALUE);
  if (isObject(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const r = resolveInner(t, x, params);
      if (r !== NO_VALUE) out[k] = r;
    }
    return out;
  }
  return v;
}

/** Both branches of every Fn::If (minus AWS::NoValue): what any parameter choice could deploy. */
export function everyBranch(v: unknown): unknown[] {
  const fn = intrinsic(v);
  if (fn?.[0] === 'Fn::If') {
    const [, yes, no] = asArray(fn[1]);
    return [...everyBranch(yes), ...everyBranch(no)];
  }
  if (fn?.[0] === 'Ref' && fn[1] === 'AWS::NoValue') return [];
  return [v];
}

/** Logical ids (resources or parameters) that `v` refers to through Ref, Fn::GetAtt or Fn::Sub. */
export function referencedIds(v: unknown): Set<string> {
  const ids = new Set<string>();
  const walk = (x: unknown): void => {
    const fn = intrinsic(x);
    if (fn?.[0] === 'Ref' && typeof fn[1] === 'string') ids.add(fn[1]);
    else if (fn?.[0] === 'Fn::GetAtt') ids.add(String(asArray(fn[1])[0]));
    else if (fn?.[0] === 'Fn::Sub') {
      const [text, vars] = Array.isArray(fn[1]) ? fn[1] : [fn[1]];
      for (const m of String(text).matchAll(/\$\{([^}!.]+)(?:\.[^}]*)?\}/g)) if (m[1] && !(isObject(vars) && m[1] in vars)) ids.add(m[1]);
      if (isObject(vars)) Object.values(vars).forEach(walk);
      return;
    }
    if (Array.isArray(x)) x.forEach(walk);
    else if (isObject(x)) Object.values(x).forEach(walk);
  };
  walk(v);
  return ids;
}

/**
 * The AssertDescription of every template rule that would refuse `params` (CloudFormation's
 * rule functions, as far as the template uses them). A list parameter's value is given as
 * CloudFormation takes it on the command line: one comma-separated string.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-rules.html
 */
export function ruleViolations(t: Template, params: Obj): string[] {
  const value = (v: unknown): unknown => {
    const fn = intrinsic(v);
    if (!fn) return v;
    const [key, arg] = fn;
    const args = asArray(arg);
    switch (key) {
      case 'Ref': {
        const p = t.Parameters[String(arg)];
        if (!p) throw new Error(`cannot evaluate Ref ${String(arg)} in a rule`);
        const raw = String(params[String(arg)] ?? '');
        return /^(CommaDelimitedList|List<)/.test(String(p.Type)) ? raw.split(',').map((x) => x.trim()) : raw;
      }
      case 'Fn::Not':
        return !value(args[0]);
      case 'Fn::And':
        return args.every((a) => value(a));
      case 'Fn::Or':
        return args.some((a) => value(a));
      case 'Fn::Equals':
        return String(value(args[0])) === String(value(args[1]));
      case 'Fn::Contains':
        return asArray(value(args[0])).map(String).includes(String(value(args[1])));
      case 'Fn::EachMemberEquals':
        return asArray(value(args[0])).every((x) => String(x) === String(value(args[1])));
      default:
        throw new Error(`cannot evaluate ${key} in a rule`);
    }
  };
  const out: string[] = [];
  for (const [name, rule] of Object.entries(t.Rules ?? {})) {
    if (rule.RuleCondition !== undefined && !value(rule.RuleCondition)) continue;
    for (const a of rule.Assertions) if (!value(a.Assert)) out.push(`${name}: ${a.AssertDescription ?? ''}`);
  }
  return out;
}

/**
 * A string-valued intrinsic (Fn::Sub, Fn::Select, Fn::Split, Fn::Join, Ref to a pseudo parameter
 * or a parameter) rendered to its text for the given pseudo parameters and parameter values.
 */
export function renderString(v: unknown, pseudo: Record<string, string>, params: Obj = {}): string {
  const render = (x: unknown): unknown => {
    if (typeof x === 'string') return x;
    const fn = intrinsic(x);
    if (!fn) throw new Error(`cannot render ${JSON.stringify(x)}`);
    const [key, arg] = fn;
    const args = asArray(arg);
    switch (key) {
      case 'Ref': {
        const name = String(arg);
        if (name in pseudo) return pseudo[name];
        if (name in params) return String(params[name]);
        throw new Error(`cannot render Ref ${name}`);
      }
      case 'Fn::Select':
        return asArray(render(args[1]))[Number(args[0])];
      case 'Fn::Split':
        return String(render(args[1])).split(String(args[0]));
      case 'Fn::Join':
        return asArray(args[1]).map((p) => String(render(p))).join(String(args[0]));
      case 'Fn::Sub': {
        const [text, vars] = Array.isArray(arg) ? arg : [arg, {}];
        return String(text).replace(/\$\{([^}]+)\}/g, (_, name: string) => {
          if (isObject(vars) && name in vars) return String(render(vars[name]));
          if (name in pseudo) return pseudo[name]!;
          if (name in params) return String(params[name]);
          throw new Error(`cannot render \${${name}}`);
        });
      }
      default:
        throw new Error(`cannot render ${key}`);
    }
  };
  return String(render(v));
}
