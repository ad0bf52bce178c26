// The shape of one run's results (bench/results/<timestamp>.json), shared by the runner and the report.
import type { DrainResult } from "./drain";
import type { PathResult } from "./event-path";
import type { PlanProfile, PlanRun } from "./planning";
import type { Machine } from "./rig";
import type { ScalingPoint } from "./scaling";
import type { LoadPoint, WritePoint } from "./task-writes";
import type { FramePoint } from "./websocket";

/** Everything one `npm run bench` measured; a section that failed is absent and its error is in `errors`. */
export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  quick: boolean;
  machine: Machine;
  /** Seconds each rate was offered for. */
  phaseSeconds: number;
  kafka?: PathResult;
  sidecar?: PathResult;
  bare?: LoadPoint[];
  restPostgres?: WritePoint[];
  restPglite?: WritePoint[];
  websocket?: FramePoint[];
  scaling?: ScalingPoint[];
  drain?: DrainResult;
  planning?: { runs: PlanRun[]; profile?: { stack: string; selfMs: PlanProfile } };
  /**
   * Section → the cores' worth of CPU that work outside the bench's process tree used while it ran (`otherCores` in
   * bench/contention.ts): how shared the machine was. Absent in results from before it was recorded.
   */
  otherCores?: Record<string, number>;
  /** Section → why it failed. */
  errors: Record<string, string>;
}
