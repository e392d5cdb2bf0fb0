/** library(), open({ path }), instances, unload. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FuzzyIndex, LibraryLoadError, Mylib, WordCounter, countDoubles, getResult, library, load, open, unload } from '../../bindings/index.ts';
import { group, test } from './harness.ts';

group('loading', () => {
  test('library().path names the loaded file', () => {
    const { path } = library();
    assert.equal(typeof path, 'string');
    assert.match(path, /mylib\.[a-z0-9-]+\.(so|dylib|dll)$/);
    assert.ok(existsSync(path), path);
    const first = library();
    assert.ok(library() === first, 'the default library is loaded once');
  });

  test('open({ path }) and open(path) give independent working instances', () => {
    const { path } = library();
    using a = open({ path });
    using b = open(path);
    assert.ok(a instanceof Mylib && b instanceof Mylib);
    assert.notEqual(a, library());
    assert.equal(a.path, path);
    assert.equal(a.getResult('é'), 'Rust says: é');
    assert.equal(b.levenshtein('kitten', 'sitting'), 3);
    assert.equal((a as unknown as { engine?: unknown }).engine, (library() as unknown as { engine?: unknown }).engine, 'open() uses the same engine');
  });

  test('a missing file is a LibraryLoadError naming the path', () => {
    const missing = join(tmpdir(), 'no-such-dir', 'mylib.so');
    assert.throws(
      () => open({ path: missing }),
      (error: unknown) => error instanceof LibraryLoadError && error.message.includes(`${missing} (option): file not found`),
    );
  });

  test('unknown open() options are a TypeError', () => {
    assert.throws(() => open({ pth: 'x' } as never), /^TypeError: open: argument 'options' has an unknown key 'pth'/);
  });

  test('unload(): later calls throw a clear error, handles close, the default library is untouched', () => {
    const instance = open({ path: library().path });
    const index = new FuzzyIndex(['a', 'b'], { library: instance });
    const counter = new WordCounter({ library: instance });
    assert.deepEqual(index.closest('a', { limit: 1 }), [{ index: 0, candidate: 'a', distance: 0 }]);
    assert.equal(instance.loaded, true);
    instance.unload();
    instance.unload();
    assert.equal(instance.loaded, false);
    assert.throws(() => instance.getResult('x'), /^Error: mylib: getResult was called after unload\(\) of .*; load the library again with open\(\)$/);
    assert.throws(() => instance.countDoubles('aa'), /called after unload/);
    assert.throws(() => instance.stats(new Float64Array(1)), /called after unload/);
    assert.equal(index.closed, true);
    assert.equal(counter.closed, true);
    assert.throws(() => index.closest('a'), /FuzzyIndex\.closest: the FuzzyIndex is closed/);
    assert.throws(() => counter.feed('a'), /WordCounter\.feed: the WordCounter is closed/);
    assert.throws(() => new WordCounter({ library: instance }), /after unload|unloaded/);
    assert.equal(countDoubles('aa'), 1, 'the default library still works');
  });

  test('unload() while an async call runs: the call finishes first', async () => {
    const instance = open({ path: library().path });
    const pending = instance.countDoublesAsync('z'.repeat(1 << 20));
    instance.unload();
    assert.equal(await pending, (1 << 20) - 1);
    await assert.rejects(instance.countDoublesAsync('zz'), /called after unload/);
  });

  // Last: it replaces the default library.
  test('module-level unload(): calls throw until load() brings a new default library', () => {
    const before = library();
    const { path } = before;
    unload();
    assert.equal(before.loaded, false);
    assert.throws(() => getResult('x'), /getResult was called after unload\(\)/);
    const after = load();
    assert.notEqual(after, before);
    assert.equal(library(), after);
    assert.equal(after.path, path);
    assert.equal(getResult('back'), 'Rust says: back');
  });
});
