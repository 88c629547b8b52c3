/**
 * Loaded into a server process with `--import` by bench/stall.ts: the longest time the main thread spent on the CPU
 * between two turns of its event loop (process.threadCpuUsage across a gap between two ticks of a 2 ms timer). On a
 * machine shared with other work a stall's wall-clock length also holds the time the thread waited for a core;
 * this is the part its own work took, which a faster or idle machine would not shorten.
 *
 * SIGUSR2 writes the longest such step since the last signal to $STALL_CPU_FILE as `<cpu ms> <wall ms of that gap>`
 * and starts over.
 */
import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

const file = process.env['STALL_CPU_FILE'];
if (isMainThread && file !== undefined) {
  let lastWall = performance.now();
  let lastCpu = process.threadCpuUsage();
  let longestCpuMs = 0;
  let itsWallMs = 0;
  const tick = () => {
    const wall = performance.now();
    const cpu = process.threadCpuUsage();
    const cpuMs = (cpu.user - lastCpu.user + cpu.system - lastCpu.system) / 1000;
    if (cpuMs > longestCpuMs) {
      longestCpuMs = cpuMs;
      itsWallMs = wall - lastWall;
    }
    lastWall = wall;
    lastCpu = cpu;
  };
  setInterval(tick, 2).unref();
  process.on('SIGUSR2', () => {
    tick();
    writeFileSync(file, `${longestCpuMs.toFixed(1)} ${itsWallMs.toFixed(1)}\n`);
    longestCpuMs = 0;
    itsWallMs = 0;
  });
}
