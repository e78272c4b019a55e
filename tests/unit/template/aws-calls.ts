// The AWS API calls a Lambda function's code can make, read from the code itself: every
// `new XxxCommand(` of an @aws-sdk/client-* package, and every SigV4 presign (a signed URL is a
// call made by whoever presents it, e.g. an ElastiCache IAM auth token), attributed to the
// function or method it sits in. A function "can make" a call when a module reachable from its
// entry point (by value imports) refers to that function or method, or to the interface member
// it implements; module reachability over-approximates, which only ever asks for more.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** IAM prefix of each @aws-sdk/client-* package the code may use; a new package must be added here. */
const IAM_PREFIX: Record<string, string> = {
  s3: 's3',
  'secrets-manager': 'secretsmanager',
  sfn: 'states',
  sns: 'sns',
  sqs: 'sqs',
  cloudwatch: 'cloudwatch',
  'cloudwatch-logs': 'logs',
  eventbridge: 'events',
  scheduler: 'scheduler',
  lambda: 'lambda',
  elasticache: 'elasticache',
  kms: 'kms',
  sts: 'sts',
  sagemaker: 'sagemaker',
  dynamodb: 'dynamodb',
};

/** Operations whose IAM action is not `<prefix>:<Operation>`. */
const ACTION_OF: Record<string, string> = {
  's3:ListObjectsV2': 's3:ListBucket',
  's3:ListObjects': 's3:ListBucket',
  's3:HeadObject': 's3:GetObject',
  's3:HeadBucket': 's3:ListBucket',
  's3:GetObjectAttributes': 's3:GetObject',
};

export interface AwsCall {
  action: string;
  /** file:Declaration, for messages. */
  where: string;
}

interface Site {
  action: string;
  where: string;
  /** The declaration the call sits in (undefined: module top level), and what it implements. */
  owner?: ts.Declaration;
  aliases: ts.Declaration[];
  file: ts.SourceFile;
}

const isOwnCode = (f: ts.SourceFile, root: string) => !f.isDeclarationFile && f.fileName.startsWith(root) && !f.fileName.includes('/node_modules/');

function ownerOf(node: ts.Node): ts.Declaration | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isMethodDeclaration(n) || ts.isFunctionDeclaration(n)) return n;
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && ts.isVariableDeclaration(n.parent)) return n.parent;
  }
  return undefined;
}

/** The name in a declaration (a method, function, variable, property, parameter...), not a reference. */
function isDeclarationName(n: ts.Identifier): boolean {
  const p = n.parent as ts.Node & { name?: ts.Node };
  const declares =
    ts.isMethodDeclaration(p) || ts.isMethodSignature(p) || ts.isFunctionDeclaration(p) || ts.isVariableDeclaration(p) || ts.isPropertyDeclaration(p) ||
    ts.isPropertySignature(p) || ts.isParameter(p) || ts.isClassDeclaration(p) || ts.isInterfaceDeclaration(p) || ts.isPropertyAssignment(p);
  return declares && p.name === n;
}

function nameOf(d: ts.Declaration | undefined): string {
  if (!d) return '(top level)';
  const own = ts.getNameOfDeclaration(d)?.getText() ?? '?';
  const cls = ts.isClassLike(d.parent) && d.parent.name ? `${d.parent.name.text}.` : '';
  return cls + own;
}

function stringProperty(obj: ts.Node, key: string): string | undefined {
  let found: string | undefined;
  const walk = (n: ts.Node): void => {
    if (ts.isPropertyAssignment(n) && n.name.getText().replace(/['"]/g, '') === key && ts.isStringLiteralLike(n.initializer)) found ??= n.initializer.text;
    ts.forEachChild(n, walk);
  };
  walk(obj);
  return found;
}

class AwsCallIndex {
  private readonly program: ts.Program;
  private readonly checker: ts.TypeChecker;
  private readonly sites: Site[] = [];

  constructor(private readonly root: string, entryFiles: string[]) {
    const configPath = ts.findConfigFile(root, ts.sys.fileExists, 'tsconfig.json');
    if (!configPath) throw new Error(`no tsconfig.json above ${root}`);
    const config = ts.parseJsonConfigFileContent(ts.readConfigFile(configPath, ts.sys.readFile).config, ts.sys, dirname(configPath));
    this.program = ts.createProgram(entryFiles, { ...config.options, noEmit: true });
    this.checker = this.program.getTypeChecker();
    for (const file of this.program.getSourceFiles()) if (isOwnCode(file, root)) this.collectSites(file);
  }

  /** The declaration a name refers to, through import aliases. */
  private declarationsOf(node: ts.Node): ts.Declaration[] {
    let symbol = this.checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
    return symbol?.declarations ?? [];
  }

  private collectSites(file: ts.SourceFile): void {
    const signerServices: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isNewExpression(node)) {
        const decl = this.declarationsOf(node.expression)[0];
        const pkg = /\/@aws-sdk\/client-([a-z0-9-]+)\//.exec(decl?.getSourceFile().fileName ?? '')?.[1];
        const name = node.expression.getText().replace(/^.*\./, '');
        if (pkg && name.endsWith('Command')) {
          const prefix = IAM_PREFIX[pkg];
          if (!prefix) throw new Error(`${file.fileName}: @aws-sdk/client-${pkg} has no IAM prefix in tests/unit/template/aws-calls.ts; add it`);
          const operation = `${prefix}:${name.slice(0, -'Command'.length)}`;
          this.addSite(file, node, ACTION_OF[operation] ?? operation);
        }
        if (/\/@smithy\/signature-v4\//.test(decl?.getSourceFile().fileName ?? '') && node.arguments?.[0]) {
          const service = stringProperty(node.arguments[0], 'service');
          if (!service) throw new Error(`${file.fileName}: new SignatureV4 without a literal service name`);
          signerServices.push(service);
        }
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'presign') {
        const owner = ownerOf(node);
        const action = stringProperty(owner ?? file, 'Action');
        const [service, ...more] = new Set(signerServices);
        if (!service || more.length || !action) throw new Error(`${file.fileName}: a presign needs one literal SignatureV4 service in its file and a literal Action query parameter`);
        this.addSite(file, node, `${service}:${action[0]!.toUpperCase()}${action.slice(1)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  private addSite(file: ts.SourceFile, node: ts.Node, action: string): void {
    const owner = ownerOf(node);
    const aliases: ts.Declaration[] = owner ? [owner] : [];
    // A class method also answers calls made through the interfaces the class implements.
    if (owner && ts.isMethodDeclaration(owner) && ts.isClassLike(owner.parent)) {
      for (const clause of owner.parent.heritageClauses ?? []) {
        for (const type of clause.types) {
          const member = this.checker.getTypeAtLocation(type).getProperty(owner.name.getText());
          aliases.push(...(member?.declarations ?? []));
        }
      }
    }
    this.sites.push({ action, where: `${file.fileName.slice(this.root.length)}:${nameOf(owner)}`, owner, aliases, file });
  }

  /** Source files of this repository reachable from `entry` through value imports. */
  reachableFiles(entry: string): ts.SourceFile[] {
    const start = this.program.getSourceFile(resolvePath(entry));
    if (!start) throw new Error(`${entry} is not in the program`);
    const seen = new Set<ts.SourceFile>([start]);
    const queue = [start];
    while (queue.length) {
      const file = queue.shift()!;
      const specifiers: ts.Expression[] = [];
      const visit = (n: ts.Node): void => {
        if (ts.isImportDeclaration(n) && !n.importClause?.isTypeOnly) specifiers.push(n.moduleSpecifier);
        else if (ts.isExportDeclaration(n) && !n.isTypeOnly && n.moduleSpecifier) specifiers.push(n.moduleSpecifier);
        else if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword && n.arguments[0]) specifiers.push(n.arguments[0]);
        ts.forEachChild(n, visit);
      };
      visit(file);
      for (const spec of specifiers) {
        const target = this.checker.getSymbolAtLocation(spec)?.declarations?.[0]?.getSourceFile();
        if (target && isOwnCode(target, this.root) && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
    }
    return [...seen];
  }

  /** The calls code reachable from `entry` can make. */
  callsFrom(entry: string): AwsCall[] {
    const files = this.reachableFiles(entry);
    const inFiles = new Set(files);
    const candidates = this.sites.filter((s) => inFiles.has(s.file));
    const used = new Set<Site>(candidates.filter((s) => !s.owner));
    // References to each site's declaration (or an interface member it implements), and the
    // declaration each reference sits in: a reference from inside another site's declaration
    // counts only once that site is used.
    const references = new Map<Site, (ts.Declaration | undefined)[]>();
    for (const file of files) {
      const visit = (n: ts.Node): void => {
        if (ts.isIdentifier(n) && !isDeclarationName(n)) {
          const decls = this.declarationsOf(n);
          for (const site of candidates) if (site.aliases.some((a) => decls.includes(a))) references.set(site, [...(references.get(site) ?? []), ownerOf(n)]);
        }
        ts.forEachChild(n, visit);
      };
      visit(file);
    }
    for (let changed = true; changed; ) {
      changed = false;
      for (const [site, from] of references) {
        if (used.has(site)) continue;
        const live = from.some((owner) => owner !== site.owner && !candidates.some((s) => s.owner === owner && s.owner !== undefined && !used.has(s)));
        if (live) {
          used.add(site);
          changed = true;
        }
      }
    }
    return [...used].map(({ action, where }) => ({ action, where }));
  }
}

/**
 * The calls each entry point can make, cached between runs: building the type-checked program
 * over the code and the AWS SDK's types is most of this test file's time. The cache is keyed by
 * the content of every file under functions/ and of datasets.json (all an entry point reaches;
 * checked), this file, tsconfig.json and package-lock.json: any change to them computes it again.
 */
export function callsByEntry(root: string, entries: readonly string[]): Record<string, AwsCall[]> {
  const hash = createHash('sha256');
  const own = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? own(join(dir, d.name)) : [join(dir, d.name)])).sort();
  const keyed = [...own(join(root, 'functions')), join(root, 'datasets.json'), fileURLToPath(import.meta.url), join(root, 'tsconfig.json'), join(root, 'package-lock.json')];
  for (const file of keyed) {
    hash.update(file.slice(root.length)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(JSON.stringify(entries.map((e) => e.slice(root.length))));
  const cacheFile = join(root, 'node_modules', '.cache', 'sluice', `aws-calls-${hash.digest('hex').slice(0, 32)}.json`);
  if (existsSync(cacheFile)) return JSON.parse(readFileSync(cacheFile, 'utf8')) as Record<string, AwsCall[]>;
  const index = new AwsCallIndex(root, [...entries]);
  const calls = Object.fromEntries(entries.map((e) => [e, index.callsFrom(e)]));
  // Only what is in the key may decide the answer: cache nothing if an entry point reaches beyond it.
  const outside = entries.flatMap((e) => index.reachableFiles(e)).map((f) => f.fileName).filter((f) => !keyed.includes(f));
  if (outside.length === 0) {
    mkdirSync(dirname(cacheFile), { recursive: true });
    writeFileSync(cacheFile, JSON.stringify(calls));
  }
  return calls;
}
