import FakeTimers from '@sinonjs/fake-timers';

/**
 * The one clock of a rehearsal. Wait states and retry intervals move it on instead of sleeping, and while an execution
 * runs `new Date()` and `Date.now()` read it in the whole process (through @sinonjs/fake-timers, Date only: timers stay
 * real), so every handler's `now`, every report's timestamps and every measured RTO or time to healthy are simulated
 * time, the same on a loaded CI machine as on a laptop.
 */
export class SimulatedClock {
  private millis: number;
  private installed?: FakeTimers.InstalledClock;

  constructor(start: Date | number) {
    this.millis = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.millis);
  }

  /** Moves the clock on (a Wait state, a retry interval, a Lambda running to its timeout). */
  advance(seconds: number): void {
    if (!(seconds > 0)) return;
    this.millis += Math.round(seconds * 1000);
    this.installed?.setSystemTime(this.millis);
  }

  /** Runs `work` with the process's Date reading this clock; the real Date comes back afterwards, even on failure. */
  async during<T>(work: () => Promise<T>): Promise<T> {
    if (this.installed) return work();
    this.installed = FakeTimers.withGlobal(globalThis).install({ now: this.millis, toFake: ['Date'] });
    try {
      return await work();
    } finally {
      this.installed.uninstall();
      this.installed = undefined;
    }
  }
}
