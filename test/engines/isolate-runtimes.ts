/**
 * The isolated-library checks on one runtime x engine: test/ffi/isolate-runtimes.test.ts runs this
 * file on Node 26, Bun and Deno (and on Node from a compiled dist/ in a scratch install). Plain
 * node:assert, no test framework, so it runs unchanged everywhere.
 *
 *   <runtime> isolate-runtimes.ts <crash library>
 *   MYLIB_FFI_ENGINE  the engine (default: the runtime's)
 *   ISOLATE_FFI       the module to import instead of bindings/ffi/index.ts (a dist/ build)
 *
 * For each fault of test/fixtures/ffi/crash.c (NULL write, abort(), exit(3)), synchronously then
 * asynchronously: the call throws (rejects with) code CRASHED and the signal or exit code, the
 * crashed host's process is gone (reaped: kill(pid, 0) fails), and the next call works in a new
 * host. After close(), no host is left. Prints `ISOLATE-RUNTIME {json}` (host pids seen, per-call cost) on success.
 */
import assert from 'node:assert/strict';
import process from 'node:process';
import { pathToFileURL } from 'node:url';

type Ffi = typeof import('../../bindings/ffi/index.ts');

const library = process.argv[2];
if (!library) throw new Error('usage: isolate-runtimes.ts <crash library>');
const specifier = process.env.ISOLATE_FFI ? pathToFileURL(process.env.ISOLATE_FFI).href : '../../bindings/ffi/index.ts';
const ffi = (await import(specifier)) as Ffi;

const libc = ffi.open('c');
const kill = libc.func('int kill(int pid, int sig)');
/** Whether process `pid` exists (a zombie does: a host must also be reaped). */
const exists = (pid: number) => kill(pid, 0) === 0;

function hostOf(when: string): number {
  const pid = lib.hostPid;
  assert.ok(pid !== undefined && exists(pid), `${when}: expected a running isolated host, got ${pid}`);
  return pid;
}

const FAULTS = [
  { fn: 'int crash_null(int x)', name: 'crash_null', arg: 1, signal: 'SIGSEGV', exitCode: undefined },
  { fn: 'int crash_abort(int x)', name: 'crash_abort', arg: 1, signal: 'SIGABRT', exitCode: undefined },
  { fn: 'int crash_exit(int code)', name: 'crash_exit', arg: 3, signal: undefined, exitCode: 3 },
] as const;

function checkCrash(error: unknown, fault: (typeof FAULTS)[number], how: string): void {
  assert.ok(error instanceof ffi.CrashedError, `${fault.name} ${how}: expected a CrashedError, got ${String(error)}`);
  assert.equal(error.code, 'CRASHED');
  assert.equal(error.functionName, fault.name);
  assert.equal(error.signal, fault.signal, `${fault.name} ${how}: signal (${error.message})`);
  assert.equal(error.exitCode, fault.exitCode, `${fault.name} ${how}: exit code (${error.message})`);
  assert.match(error.message, new RegExp(`^${fault.name}: the isolated host of .+ (was killed by ${fault.signal}|exited with code ${fault.exitCode})`));
}

const lib = ffi.open(library, { isolate: true });
assert.equal(lib.isolated, true);
const add = lib.func('int crash_add(int a, int b)');
assert.equal(add(2, 3), 5);
const seen = [hostOf('after open')];

for (const fault of FAULTS) {
  const fn = lib.func(fault.fn);
  const before = hostOf(`before ${fault.name}`);
  let thrown: unknown;
  try {
    fn(fault.arg);
  } catch (error) {
    thrown = error;
  }
  checkCrash(thrown, fault, 'sync');
  assert.equal(exists(before), false, `${fault.name} sync: the crashed host ${before} is still there`);
  assert.equal(lib.hostPid, undefined, `${fault.name} sync: no host until the next call`);
  assert.equal(add(20, 22), 42, `${fault.name} sync: the next call works`);
  const next = hostOf(`after ${fault.name} sync`);
  assert.notEqual(next, before);
  seen.push(next);

  const rejected = await fn.async(fault.arg).then(
    () => undefined,
    (error: unknown) => error,
  );
  checkCrash(rejected, fault, 'async');
  assert.equal(exists(next), false, `${fault.name} async: the crashed host ${next} is still there`);
  assert.equal(await add.async(1, 2), 3, `${fault.name} async: the next call works`);
  seen.push(hostOf(`after ${fault.name} async`));
}

// The cost of an isolated scalar call on this runtime x engine (the benchmark measures it properly).
const CALLS = 2000;
let sum = 0;
const started = performance.now();
for (let i = 0; i < CALLS; i++) sum += add(i, 1);
const perCallUs = ((performance.now() - started) * 1000) / CALLS;
assert.equal(sum, (CALLS * (CALLS + 1)) / 2);

lib.close();
assert.equal(lib.hostPid, undefined, 'after close(): no host');
for (const pid of seen) assert.equal(exists(pid), false, `host ${pid} outlived close()`);
libc.close();
assert.throws(() => add(1, 2), /is closed/);
console.log(`ISOLATE-RUNTIME ${JSON.stringify({ engine: lib.engine, hosts: seen.length, perCallUs })}`);
