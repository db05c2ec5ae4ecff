/** CPU and memory readings: of the gateway process from /proc, from outside, and of this process. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function readProc(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new Error(`the gateway process is gone (${path} cannot be read)`, { cause });
  }
}

/** VmRSS and VmHWM (the RSS high-water mark) in MiB. */
export function memoryMiB(pid: number): { rss: number; hwm: number } {
  const status = readProc(`/proc/${pid}/status`);
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** User + system CPU seconds from a /proc stat line (fields 14 and 15, utime and stime). */
function statCpuSeconds(path: string): number {
  const stat = readProc(path);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** CPU seconds the process has used so far: all threads, and its main (event-loop) thread alone. */
export function cpuSeconds(pid: number): { all: number; main: number } {
  return { all: statCpuSeconds(`/proc/${pid}/stat`), main: statCpuSeconds(`/proc/${pid}/task/${pid}/stat`) };
}

/** CPU seconds this process (the load generator, the bare loop) has used so far. */
export const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
