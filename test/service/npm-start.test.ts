// The main job as a user or a supervisor runs it: `npm start`, then SIGTERM to the npm process.
// The service must shut down gracefully (not be left running, orphaned) in bounded time.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { loggedPid, waitFor } from './server.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

it('npm start + SIGTERM to npm: the service shuts down gracefully, no process is left', async () => {
  const npm = spawn('npm', ['start'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  npm.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  npm.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const npmExited = new Promise<void>((resolve) => npm.once('exit', () => resolve()));
  let servicePid: number | undefined;
  try {
    servicePid = await waitFor(() => loggedPid(output, 'mylib service ready'), `npm start to be ready:\n${output}`, { timeout: 60_000 });
    const ready = output.split('\n').find((line) => line.includes('"msg":"mylib service ready"'))!;
    const port = Number(new URL((JSON.parse(ready) as { address: string }).address).port);
    expect(await refuses(port)).toBe(false);
    if (existsSync(`/proc/${servicePid}/stat`)) {
      // One node process under npm: npm's own child is the service (no shell, no tsx launcher between).
      const ppid = Number(readFileSync(`/proc/${servicePid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
      expect(ppid).toBe(npm.pid);
    }

    npm.kill('SIGTERM');
    await waitFor(() => !alive(servicePid!), `the service (pid ${servicePid}) to exit:\n${output}`, { timeout: 15_000 });
    await waitFor(() => npm.exitCode !== null || npm.signalCode !== null, 'npm to exit', { timeout: 15_000 });
    await npmExited;
    expect(await refuses(port)).toBe(true);
    expect(output).toMatch(/"signal":"SIGTERM".*"msg":"shutting down"/);
    expect(output).toMatch(/"msg":"stopped"/);
  } finally {
    // Never leave a process behind, even when the test fails.
    if (npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
    if (servicePid !== undefined && alive(servicePid)) process.kill(servicePid, 'SIGKILL');
  }
});
