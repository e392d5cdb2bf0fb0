// The slow-client and queue settings: flags win over the environment, defaults otherwise, and a
// bad value is a ConfigError naming the flag and its variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULTS, loadConfig } from '../../service/config.ts';

describe('loadConfig: body rate and queue wait', () => {
  it('defaults: 240 bytes/s after 5 s, queue wait 10 s', () => {
    expect(loadConfig([], {})).toMatchObject({ minBodyRate: 240, bodyRateGrace: 5, queueWaitLimit: 10_000 });
    expect(DEFAULTS).toMatchObject({ minBodyRate: 240, bodyRateGrace: 5, queueWaitLimit: 10_000 });
  });

  it.each([
    [['--min-body-rate', '1k'], {}, { minBodyRate: 1024 }],
    [['--min-body-rate', '0'], {}, { minBodyRate: 0 }],
    [[], { MYLIB_MIN_BODY_RATE: '50' }, { minBodyRate: 50 }],
    [['--body-rate-grace', '2'], { MYLIB_BODY_RATE_GRACE: '9' }, { bodyRateGrace: 2 }],
    [[], { MYLIB_QUEUE_WAIT_LIMIT: '250' }, { queueWaitLimit: 250 }],
  ])('%j %j -> %j', (argv, env, expected) => {
    expect(loadConfig(argv, env)).toMatchObject(expected);
  });

  it.each([
    ['--min-body-rate', '-1', /--min-body-rate \(env MYLIB_MIN_BODY_RATE\) must be an integer from 0/],
    ['--body-rate-grace', '0', /--body-rate-grace \(env MYLIB_BODY_RATE_GRACE\) must be an integer from 1 to 3600, got '0'/],
    ['--queue-wait-limit', '5', /--queue-wait-limit \(env MYLIB_QUEUE_WAIT_LIMIT\) must be an integer from 100/],
  ])('%s %s is refused', (flag, value, message) => {
    expect(() => loadConfig([`${flag}=${value}`], {})).toThrow(ConfigError);
    expect(() => loadConfig([`${flag}=${value}`], {})).toThrow(message);
  });
});

describe('loadConfig: the implementation (rust or js)', () => {
  it.each([
    [[], {}, 'rust'],
    [['--engine', 'js'], {}, 'js'],
    [[], { MYLIB_ENGINE: 'js' }, 'js'],
    [['--engine', 'rust'], { MYLIB_ENGINE: 'js' }, 'rust'],
  ])('%j %j -> %s: chosen by the compatible names --engine / MYLIB_ENGINE', (argv, env, implementation) => {
    expect(loadConfig(argv, env).implementation).toBe(implementation);
  });
});
