// How much of the machine other work took while a bench section ran: CPU used outside the bench's own process tree.
import { readdirSync, readFileSync } from "node:fs";

/** A reading of the machine's busy CPU time and of the bench's own process tree's, in clock ticks (USER_HZ). */
export interface CpuSample {
  /** Milliseconds since the epoch. */
  at: number;
  /** Every CPU's non-idle time since boot (`/proc/stat`: user, nice, system, irq, softirq, steal). */
  busyTicks: number;
  /** CPU time of this process and its descendants, living ones and reaped ones (utime, stime, cutime, cstime). */
  ownTicks: number;
}

/** Linux's USER_HZ, the unit of `/proc/stat` and `/proc/<pid>/stat` times (100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

/**
 * Reads the CPU sample now, from procfs (proc(5)); undefined where there is no `/proc/stat` (not Linux). Steal time
 * counts as busy: it is CPU a hypervisor gave to other machines.
 */
export function sampleCpu(): CpuSample | undefined {
  let stat: string;
  try {
    stat = readFileSync("/proc/stat", "utf8");
  } catch {
    return undefined;
  }
  const [, user, nice, system, , , irq, softirq, steal] = (stat.split("\n")[0] ?? "").trim().split(/\s+/).map(Number);
  const busyTicks = [user, nice, system, irq, softirq, steal].reduce<number>((sum, n) => sum + (n ?? 0), 0);
  return { at: Date.now(), busyTicks, ownTicks: treeTicks(process.pid) };
}

/**
 * The cores' worth of CPU that work outside the bench's process tree used between two samples: 0 on an otherwise
 * idle machine, up to the core count when other work kept every core busy.
 */
export function otherCores(before: CpuSample, after: CpuSample): number {
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return 0;
  const others = after.busyTicks - before.busyTicks - (after.ownTicks - before.ownTicks);
  return Math.max(0, others / TICKS_PER_SECOND / seconds);
}

/** Sums the CPU ticks of `root` and every process descended from it. */
function treeTicks(root: number): number {
  const processes = new Map<number, { parent: number; ticks: number }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state ppid ... utime(14) stime
    // cutime cstime (proc(5) numbering), i.e. indexes 11 to 14 after the ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    processes.set(Number(entry), {
      parent: Number(fields[1]),
      ticks: (utime ?? 0) + (stime ?? 0) + (cutime ?? 0) + (cstime ?? 0),
    });
  }
  const children = new Map<number, number[]>();
  for (const [pid, { parent }] of processes) children.set(parent, [...(children.get(parent) ?? []), pid]);
  let total = 0;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    total += processes.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return total;
}
