import path from 'node:path';

/**
 * Keeps the modular monolith modular:
 * - a file under src/modules/<a>/ reaches another module <b> only through src/modules/<b>/index.ts;
 * - code outside src/modules (platform, tests, benchmarks) reaches a module only through its index.ts;
 * - src/platform imports no module at all;
 * - test code (`*.test.ts`, `test-support.ts`) may also use another module's `test-support.ts`, the
 *   fixtures that module publishes for tests; nothing else may.
 */
const modulesSegment = `${path.sep}src${path.sep}modules${path.sep}`;
const platformSegment = `${path.sep}src${path.sep}platform${path.sep}`;

function moduleOf(file) {
  const at = file.indexOf(modulesSegment);
  if (at === -1) return undefined;
  const rest = file.slice(at + modulesSegment.length).split(path.sep);
  // src/modules/index.ts is the registry of modules, not a module.
  return rest.length > 1 ? { name: rest[0], inner: rest.slice(1).join('/') } : undefined;
}

export const moduleBoundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'Modules are reached only through their index.ts; the platform reaches no module.' },
    messages: {
      platformImportsModule: 'src/platform must not import a module ({{target}}); pass what it needs in, or publish an event.',
      deepImport: 'Import module "{{module}}" through src/modules/{{module}}/index.ts, not {{target}}.',
    },
    schema: [],
  },
  create(context) {
    const file = context.filename;
    const from = moduleOf(file);
    const inPlatform = file.includes(platformSegment);

    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const resolved = path.resolve(path.dirname(file), source);
      const target = moduleOf(resolved);
      if (!target) return;
      const shown = path.relative(context.cwd, resolved);
      if (inPlatform) {
        context.report({ node, messageId: 'platformImportsModule', data: { target: shown } });
        return;
      }
      const isIndex = target.inner === 'index.ts' || target.inner === 'index.js';
      const isTestCode = /(\.test\.ts|(^|\/)test-support\.ts)$/.test(file.split(path.sep).join('/'));
      const isFixtures = target.inner === 'test-support.ts';
      if (from?.name !== target.name && !isIndex && !(isTestCode && isFixtures)) {
        context.report({ node, messageId: 'deepImport', data: { module: target.name, target: shown } });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

export default { rules: { 'module-boundaries': moduleBoundaries } };
