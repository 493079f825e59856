import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuThreads, defaultCpuThreads, fallbackCoreCount, physicalCoreCount } from '@main/engine/cpu-threads';
import { tempDir } from '../helpers/temp-dir';

/** A fake /sys/devices/system/cpu: one folder per logical CPU with its thread_siblings mask (null = offline). */
function sysCpu(masks: (string | null)[]): string {
  const dir = tempDir('gt-sys-cpu-');
  masks.forEach((mask, i) => {
    const cpu = path.join(dir, `cpu${i}`);
    mkdirSync(cpu);
    if (mask === null) return;
    mkdirSync(path.join(cpu, 'topology'));
    writeFileSync(path.join(cpu, 'topology', 'thread_siblings'), `${mask}\n`);
  });
  // Entries that are not CPUs must not count.
  mkdirSync(path.join(dir, 'cpufreq'));
  writeFileSync(path.join(dir, 'online'), `0-${masks.length - 1}\n`);
  return dir;
}

describe('CPU threads of the in-process runtimes', () => {
  it.runIf(process.platform === 'linux')('counts each physical core once: hyper-thread siblings share a mask', () => {
    const logical = os.availableParallelism();
    // Two cores with two hyper-threads each; capped by the CPUs this process may use.
    expect(physicalCoreCount(sysCpu(['00000005', '0000000a', '00000005', '0000000a']))).toBe(Math.min(2, logical));
    expect(physicalCoreCount(sysCpu(['00000001', null]))).toBe(1);
    expect(physicalCoreCount(sysCpu([]))).toBeNull();
    expect(physicalCoreCount(path.join(tempDir('gt-no-sys-'), 'missing'))).toBeNull();
  });

  it('without topology, follows llama.cpp: up to 4 logical CPUs each count, more are taken as hyper-threads', () => {
    expect([1, 2, 3, 4, 6, 8, 16, 0].map(fallbackCoreCount)).toEqual([1, 2, 3, 4, 3, 4, 8, 4]);
  });

  it('a requested count wins; nothing, zero or nonsense falls back to the rule', () => {
    expect(cpuThreads(3)).toBe(3);
    expect(cpuThreads(2.7)).toBe(2);
    for (const bad of [undefined, 0, -1, Number.NaN]) expect(cpuThreads(bad)).toBe(defaultCpuThreads());
  });

  it('on this machine the rule never exceeds the CPUs the process may run on', () => {
    expect(defaultCpuThreads()).toBeGreaterThanOrEqual(1);
    expect(defaultCpuThreads()).toBeLessThanOrEqual(os.availableParallelism());
  });
});
