const fs = require('fs'); const vm = require('vm'); const path = require('path'); const Module = require('module');
const file = path.join(__dirname, 'child.bundle.cjs'); const cacheFile = file + '.cache';
const src = fs.readFileSync(file, 'utf8');
let cached; try { cached = fs.readFileSync(cacheFile); } catch {}
const script = new vm.Script(Module.wrap(src), { filename: file, cachedData: cached, importModuleDynamically: undefined });
if (process.env.CACHE_DEBUG) process.stderr.write(`cache rejected=${script.cachedDataRejected} had=${!!cached}\n`);
const fn = script.runInThisContext();
const m = { exports: {} };
fn.call(m.exports, m.exports, Module.createRequire(file), m, file, __dirname);
if (!cached || script.cachedDataRejected) process.on('exit', () => { try { fs.writeFileSync(cacheFile, script.createCachedData()); } catch {} });
