// The Node range the project states (package.json "engines", README) is true of what it installs:
// every package in package-lock.json, direct or transitive, admits the oldest Node the range
// allows, so `npm install` on that Node prints no EBADENGINE warning. (cookie@2, pulled in by
// fastify's light-my-request@6.8, wants Node >= 22; package.json "overrides" pins
// light-my-request to 6.6.0, which uses cookie@1.)
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8'));

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
}

describe('supported Node versions', () => {
  const range: string = read('package.json').engines.node;
  const oldest = semver.minVersion(range)?.version;

  it('package.json states a Node 20 lower bound, and the README says the same', () => {
    expect(oldest).toMatch(/^20\./);
    expect(readFileSync(`${ROOT}README.md`, 'utf8')).toContain(`Node >= ${oldest!.split('.').slice(0, 2).join('.')}`);
  });

  it('every installed package admits the oldest supported Node', () => {
    const packages = read('package-lock.json').packages as Record<string, LockEntry>;
    const refusing: string[] = [];
    for (const [path, entry] of Object.entries(packages)) {
      const wanted = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (path === '' || wanted === undefined) continue;
      if (!semver.satisfies(oldest!, wanted)) refusing.push(`${path}@${entry.version}: engines.node "${wanted}"`);
    }
    expect(refusing, `these packages refuse Node ${oldest}`).toEqual([]);
  });
});
