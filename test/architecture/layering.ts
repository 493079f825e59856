// The layering rules of docs/architecture.md, as code: which part of the app may import which.
// Every import of every file is parsed with the TypeScript compiler (static, dynamic, re-exports), resolved
// (relative paths and the @domain/@main aliases) to the layer it lands in, and checked against ALLOWED.
import path from 'node:path';
import ts from 'typescript';

/** src-main/<layer>/… or the renderer. */
export type Layer =
  'domain' | 'platform' | 'store' | 'engine' | 'io' | 'jobs' | 'api' | 'ipc' | 'app' | 'cli' | 'preload' | 'renderer';

/**
 * Which layers each layer may import (besides itself). domain at the bottom; store and engine on it; io and
 * jobs use store and engine; api wires them; app, cli and preload sit on api. ipc holds the helpers the
 * Electron main process and the preload share (the IPC envelope, the image URL scheme). platform holds plain Node
 * operating-system helpers (is a process alive) that store and engine share; it imports nothing of the app's, and
 * the sandboxed preload and the renderer may not use it.
 */
export const ALLOWED: Record<Layer, readonly Layer[]> = {
  domain: [],
  platform: [],
  store: ['domain', 'platform'],
  engine: ['domain', 'platform'],
  io: ['domain', 'platform', 'store', 'engine'],
  jobs: ['domain', 'platform', 'store', 'engine'],
  api: ['domain', 'platform', 'store', 'engine', 'io', 'jobs'],
  ipc: ['domain', 'api'],
  app: ['domain', 'platform', 'api', 'ipc'],
  cli: ['domain', 'platform', 'api'],
  preload: ['domain', 'api', 'ipc'],
  renderer: ['domain', 'api'],
};

/** Layers that may import `electron` (anything else must run in plain Node: the CLI, the tests). */
const ELECTRON_LAYERS: readonly Layer[] = ['app', 'preload'];

/** The only src-main files the renderer may reach, and only for types, except domain (plain data and lists). */
const RENDERER_TYPE_ONLY = new Set(['src-main/api/contract']);

/** The only API-layer file the preload and ipc/ may import: the contract, not the core or the handlers. */
const CONTRACT_ONLY_LAYERS: readonly Layer[] = ['preload', 'ipc', 'renderer'];

/**
 * The store's public face: every caller outside store/ sees the contract and the factory, never an engine's
 * files (store/sqlite/…, store/postgres/…) or the helpers they share (docs/architecture.md, "Store contract").
 */
const STORE_PUBLIC = new Set(['src-main/store/contract', 'src-main/store/open-store']);

/** The engines behind the contract: neither may import the other's files. */
const STORE_ENGINES = ['sqlite', 'postgres'] as const;

function storeEngineOf(file: string): string | null {
  const match = /^src-main\/store\/([^/]+)\//.exec(file);
  return match && (STORE_ENGINES as readonly string[]).includes(match[1]) ? match[1] : null;
}

export interface SourceFile {
  /** Repository-relative path with forward slashes, e.g. src-main/store/cases.ts. */
  path: string;
  text: string;
}

export interface Violation {
  file: string;
  line: number;
  specifier: string;
  reason: string;
}

interface ImportSite {
  specifier: string;
  line: number;
  typeOnly: boolean;
}

const ALIASES: Array<[prefix: string, target: string]> = [
  ['@domain/', 'src-main/domain/'],
  ['@main/', 'src-main/'],
];

/** The layer a repository-relative file or import target (extension optional) belongs to. */
export function layerOf(file: string): Layer | null {
  if (file.startsWith('src-renderer/')) return 'renderer';
  const match = /^src-main\/([^/.]+)(\/|\.[a-z]+$|$)/.exec(file);
  if (!match) return null;
  const layer = match[1] as Layer;
  return layer in ALLOWED ? layer : null;
}

/** Repository-relative target (no extension) of a project import, or null for a package or node: builtin. */
export function resolveSpecifier(fromFile: string, specifier: string): string | null {
  for (const [prefix, target] of ALIASES) {
    if (specifier.startsWith(prefix)) return stripExtension(target + specifier.slice(prefix.length));
  }
  if (!specifier.startsWith('.')) return null;
  return stripExtension(path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier)));
}

function stripExtension(target: string): string {
  return target.replace(/\.(ts|tsx|js|mjs|cjs)$/, '').replace(/\/index$/, '');
}

function importSites(file: SourceFile): ImportSite[] {
  const source = ts.createSourceFile(file.path, file.text, ts.ScriptTarget.Latest, true, scriptKind(file.path));
  const sites: ImportSite[] = [];
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      sites.push({ specifier: node.moduleSpecifier.text, line: lineOf(node), typeOnly: isTypeOnlyImport(node) });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const typeOnly =
        node.isTypeOnly ||
        (!!node.exportClause &&
          ts.isNamedExports(node.exportClause) &&
          node.exportClause.elements.every((element) => element.isTypeOnly));
      sites.push({ specifier: node.moduleSpecifier.text, line: lineOf(node), typeOnly });
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression))
        sites.push({ specifier: expression.text, line: lineOf(node), typeOnly: node.isTypeOnly });
    } else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      const isDynamicImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(node.expression) && node.expression.text === 'require';
      if (isDynamicImport || isRequire)
        sites.push({ specifier: node.arguments[0].text, line: lineOf(node), typeOnly: false });
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal))
        sites.push({ specifier: argument.literal.text, line: lineOf(node), typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

function scriptKind(file: string): ts.ScriptKind {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX;
  if (/\.(mjs|cjs|js)$/.test(file)) return ts.ScriptKind.JS;
  return ts.ScriptKind.TS;
}

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false; // a side-effect import runs the module
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.every((element) => element.isTypeOnly);
}

/** Every import that breaks a rule, with the file, the line and the reason. */
export function checkLayering(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  for (const file of files) {
    const from = layerOf(file.path);
    if (!from) {
      if (file.path.startsWith('src-main/'))
        violations.push({
          file: file.path,
          line: 1,
          specifier: '',
          reason: 'is in no known layer: put it in one, or add its folder to ALLOWED in test/architecture/layering.ts',
        });
      continue;
    }
    for (const site of importSites(file)) {
      const report = (reason: string) =>
        violations.push({ file: file.path, line: site.line, specifier: site.specifier, reason });
      const packageName = site.specifier.startsWith('@')
        ? site.specifier.split('/').slice(0, 2).join('/')
        : site.specifier.split('/')[0];
      if ((packageName === 'electron' || packageName === 'node:electron') && !ELECTRON_LAYERS.includes(from)) {
        report(`only ${ELECTRON_LAYERS.join(' and ')} may import electron (${from} must run in plain Node)`);
        continue;
      }
      const target = resolveSpecifier(file.path, site.specifier);
      if (target === null) continue;
      // package.json is data (the app's version for verdict provenance), not code of another layer.
      if (target === 'package.json') continue;
      const to = layerOf(target);
      if (to === null) {
        report(`imports ${target}, which is outside src-main's layers and the renderer`);
        continue;
      }
      if (to === from) {
        const fromEngine = storeEngineOf(file.path);
        const toEngine = storeEngineOf(target + '.ts');
        const isFactory = file.path === 'src-main/store/open-store.ts';
        if (from === 'store' && toEngine !== null && fromEngine !== toEngine && !isFactory)
          report(
            `the ${toEngine} engine's files are its own: ${fromEngine ? `the ${fromEngine} engine` : 'store/'} reaches it only through open-store.ts`,
          );
        continue;
      }
      if (!ALLOWED[from].includes(to)) {
        report(`${from} may not import ${to} (allowed: ${ALLOWED[from].join(', ') || 'nothing outside domain'})`);
        continue;
      }
      if (to === 'store' && !STORE_PUBLIC.has(target)) {
        report(`${from} may reach the store only through store/contract or store/open-store, not ${target}`);
        continue;
      }
      if (to === 'api' && CONTRACT_ONLY_LAYERS.includes(from) && target !== 'src-main/api/contract') {
        report(`${from} may reach the API layer only through api/contract`);
        continue;
      }
      if (from === 'renderer' && RENDERER_TYPE_ONLY.has(target) && !site.typeOnly) {
        report(
          'the renderer may import api/contract only with `import type` (it talks to the core through window.api)',
        );
      }
    }
  }
  return violations;
}
