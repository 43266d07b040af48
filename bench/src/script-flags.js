'use strict';
// The flags of the stand-alone measuring scripts (drain-cpu.js, drain-alloc.js, claim-cost.js, insert-floor.js,
// chain-trace.js): `--name value` pairs, and `--root DIR`, the repository whose build they measure.
const path = require('path');

function scriptFlags(argv = process.argv.slice(2)) {
  const flag = (name, fallback) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : fallback;
  };
  return { flag, root: path.resolve(flag('root', path.join(__dirname, '..', '..'))) };
}

module.exports = { scriptFlags };
