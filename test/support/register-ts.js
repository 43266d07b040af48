// Lets a plain `node` child process load the project's TypeScript (worker fixtures spawned by
// the tests) without a build step: each .ts file is transpiled on require, as ts-jest does.
const fs = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  inlineSourceMap: true,
};

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { outputText } = ts.transpileModule(source, { fileName: filename, compilerOptions });
  module._compile(outputText, filename);
};

// As jest.config.js does for the sqlite3 run: that driver exists only in TypeORM 0.3.
if (process.env.TEST_DB === 'sqlite3') {
  const Module = require('node:module');
  const resolveFilename = Module._resolveFilename;
  Module._resolveFilename = function resolveTypeorm03(request, ...rest) {
    const redirected = request === 'typeorm' || request.startsWith('typeorm/') ? request.replace(/^typeorm/, 'typeorm03') : request;
    return resolveFilename.call(this, redirected, ...rest);
  };
}
