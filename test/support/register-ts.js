// Lets a plain `node` child process load the project's TypeScript (worker fixtures spawned by
// the tests) without a build step: each .ts file is transpiled on require, as ts-jest does.
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const crypto = require('node:crypto');

const compilerOptions = {
  module: 'CommonJS',
  target: 'ES2022',
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  useDefineForClassFields: false,
  esModuleInterop: true,
  inlineSourceMap: true,
};

// Transpiled files are cached by content: a process that finds every file there never loads the
// TypeScript compiler, and starts in a fraction of the time (the process tests spawn dozens).
const cacheDir = path.join(os.tmpdir(), 'nestjs-tasks-ts-cache');
const salt = `${require('typescript/package.json').version}:${JSON.stringify(compilerOptions)}`;
let ts;

function transpile(filename, source) {
  const key = crypto.createHash('sha1').update(salt).update(filename).update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    const options = { ...compilerOptions, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 };
    const { outputText } = ts.transpileModule(source, { fileName: filename, compilerOptions: options });
    try {
      fs.mkdirSync(cacheDir, { recursive: true });
      // Written aside and renamed: processes starting together never read half a file.
      const temporary = `${cached}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, outputText);
      fs.renameSync(temporary, cached);
    } catch {
      // A read-only temporary folder only costs the cache.
    }
    return outputText;
  }
}

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(transpile(filename, fs.readFileSync(filename, 'utf8')), filename);
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
