/**
 * Module-loader hooks (see register.js), run by Node in its loader thread.
 * resolve: a relative `./x.js` from a .ts file that has no x.js on disk resolves to x.ts.
 * load: .ts files are transpiled per file (transpileModule: types are erased, not checked;
 * `npm run typecheck` checks them) into ES modules, with inline source maps for stack traces.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const COMPILER = {
  module: ts.ModuleKind.ESNext,
  target: ts.ScriptTarget.ES2022,
  isolatedModules: true,
  inlineSourceMap: true,
  inlineSources: true,
};

export async function resolve(specifier, context, next) {
  const parent = context.parentURL;
  if (parent?.endsWith('.ts') && /^\.{1,2}\/.*\.js$/.test(specifier)) {
    const asTs = new URL(specifier.replace(/\.js$/, '.ts'), parent);
    if (!existsSync(new URL(specifier, parent)) && existsSync(asTs)) {
      return { url: asTs.href, format: 'module', shortCircuit: true };
    }
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.startsWith('file:') || !url.endsWith('.ts')) return next(url, context);
  const path = fileURLToPath(url);
  const source = await readFile(path, 'utf8');
  const out = ts.transpileModule(source, { compilerOptions: COMPILER, fileName: path });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
