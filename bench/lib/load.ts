/** Other processes that keep cores busy while a case runs (the loaded-machine cases). */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

const SPIN = join(import.meta.dirname, 'spin.mjs');

/** Busy processes, started by start() and stopped by stop(); stop() also runs if the bench exits first. */
export class BusyProcesses {
  readonly #count: number;
  #children: ChildProcess[] = [];
  readonly #onExit = () => this.stop();

  constructor(count: number) {
    this.#count = count;
  }

  /** Starts `count` busy processes and waits until each is running and has had time to spin up. */
  async start(): Promise<void> {
    if (this.#children.length) return;
    process.on('exit', this.#onExit);
    this.#children = Array.from({ length: this.#count }, () => spawn(process.execPath, [SPIN], { stdio: 'ignore' }));
    await Promise.all(this.#children.map((child) => new Promise<void>((resolve, reject) => child.once('spawn', resolve).once('error', reject))));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const dead = this.#children.filter((child) => child.exitCode !== null || child.signalCode !== null);
    if (dead.length) throw new Error(`bench: ${dead.length} busy process(es) exited at once`);
  }

  /** The pids of the running busy processes. */
  get pids(): number[] {
    return this.#children.flatMap((child) => (child.pid === undefined ? [] : [child.pid]));
  }

  /** Kills the busy processes (each by its own pid). */
  stop(): void {
    for (const child of this.#children) child.kill('SIGKILL');
    this.#children = [];
    process.off('exit', this.#onExit);
  }
}
