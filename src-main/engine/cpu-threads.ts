// How many threads an in-process llama.cpp runtime computes with on the CPU when the user has not said.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

/**
 * llama.cpp's worker threads spin at their barriers, so a runtime running more threads than there are cores
 * does not share the cores, it fights over them. Measured on the 2-core machine with the 3B-shaped model:
 * node-llama-cpp's own default (its `maxThreads`: the math cores or 4, whichever is higher) ran 4 threads and
 * generated 0.24 tok/s; 2 threads gave 8 tok/s. llama.node's default is half the math cores (1 thread here). Both
 * runtimes get this rule instead, the one llama-server itself applies (`cpu_get_num_math`): one thread per physical
 * core.
 */
export function defaultCpuThreads(): number {
  // Read once per process: every model load and llama.node context reopen asks, and the topology does not change.
  machineDefault ??= physicalCoreCount() ?? fallbackCoreCount(os.availableParallelism());
  return machineDefault;
}
let machineDefault: number | undefined;

/** A requested count wins; otherwise one thread per physical core. */
export function cpuThreads(requested: number | undefined): number {
  if (requested !== undefined && Number.isFinite(requested) && requested >= 1) return Math.floor(requested);
  return defaultCpuThreads();
}

/** Without topology: llama.cpp's own guess (more than 4 logical CPUs are taken to be hyper-threads). */
export function fallbackCoreCount(logical: number): number {
  if (!(logical > 0)) return 4;
  return logical <= 4 ? logical : Math.floor(logical / 2);
}

/**
 * Linux: distinct `thread_siblings` masks of the CPUs this process may run on, which counts each physical core
 * once. Null where the topology cannot be read (other systems, some containers).
 */
export function physicalCoreCount(sysCpuDir = '/sys/devices/system/cpu'): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const masks = new Set<string>();
    for (const name of readdirSync(sysCpuDir)) {
      if (!/^cpu\d+$/.test(name)) continue;
      try {
        masks.add(readFileSync(`${sysCpuDir}/${name}/topology/thread_siblings`, 'utf8').trim());
      } catch {
        // An offline CPU has no topology folder.
      }
    }
    if (masks.size === 0) return null;
    // A container limited to fewer CPUs than the host has must not get the host's core count.
    return Math.max(1, Math.min(masks.size, os.availableParallelism()));
  } catch {
    return null;
  }
}
