// node:http as CommonJS, for the bundles (BUNDLING in infra/constructs/ops-function.ts says why).
export = process.getBuiltinModule('node:http');
