// The IAM statements a principal of the template gets, as deployed with given parameters.
import { asArray, everyBranch, intrinsic, referencedIds, resolve, type Obj, type Resource, type Template } from './cfn.js';

/** The policy documents a function or state machine gets through its role (inline and managed). */
export function principalPolicies(t: Template, resource: Resource): Obj[] {
  const role = intrinsic(resource.Properties?.Role);
  if (role?.[0] !== 'Fn::GetAtt') return asArray(resource.Properties?.Policies) as Obj[];
  const roleResource = t.Resources[String(asArray(role[1])[0])];
  if (roleResource?.Type !== 'AWS::IAM::Role') throw new Error(`role ${JSON.stringify(role)} is not an AWS::IAM::Role of this template`);
  const inline = asArray(roleResource.Properties?.Policies).map((p) => (p as Obj).PolicyDocument as Obj);
  const managed = asArray(roleResource.Properties?.ManagedPolicyArns).map((arn) => {
    const policy = t.Resources[[...referencedIds(arn)][0] ?? ''];
    if (policy?.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`managed policy ${JSON.stringify(arn)} is not defined in this template`);
    return policy.Properties?.PolicyDocument as Obj;
  });
  return [...inline, ...managed];
}

/** Statements of `documents`, from every branch of any Fn::If. */
export function statementsOf(documents: Obj[]): Obj[] {
  return documents.flatMap((d) => asArray(d.Statement).flatMap(everyBranch)) as Obj[];
}

/** Statements of `documents` as deployed with `params` (conditions evaluated). */
export function deployedStatements(t: Template, documents: Obj[], params: Obj): Obj[] {
  return documents.flatMap((d) => asArray((resolve(t, d, params) as Obj | undefined)?.Statement)) as Obj[];
}

/** Actions an Allow statement among `statements` grants (the template uses no wildcards in actions). */
export function allowedActions(statements: Obj[]): Set<string> {
  return new Set(statements.filter((s) => s.Effect === 'Allow').flatMap((s) => asArray(s.Action).map(String)));
}
