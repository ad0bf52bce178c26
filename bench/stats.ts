// Latency summaries (HdrHistogram percentiles) and the ratios every figure of the benchmark report is given as.
import { build } from "hdr-histogram-js";

/** Percentiles of a set of latencies, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Summarizes latencies given in milliseconds: recorded in microseconds into an HdrHistogram (3 significant digits,
 * up to 10 minutes), so p50/p99 come from the histogram as HdrHistogram reports them. Negative values (clock steps)
 * count as 0. An empty input gives count 0 and zeros.
 */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  if (latenciesMs.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const histogram = build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 3,
  });
  for (const ms of latenciesMs) histogram.recordValue(Math.max(0, Math.round(ms * 1000)));
  const summary = {
    count: latenciesMs.length,
    p50: histogram.getValueAtPercentile(50) / 1000,
    p99: histogram.getValueAtPercentile(99) / 1000,
    max: histogram.maxValue / 1000,
  };
  histogram.destroy();
  return summary;
}

/** `value / baseline`, or undefined when the baseline is 0 or missing (no ratio can be stated). */
export function ratio(value: number | undefined, baseline: number | undefined): number | undefined {
  if (value === undefined || baseline === undefined || baseline === 0) return undefined;
  return value / baseline;
}

/** A ratio as the report prints it: `×1.83`, two significant decimals below 10, whole above; `n/a` without one. */
export function formatRatio(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return "n/a";
  return value >= 10 ? `×${Math.round(value)}` : `×${value.toFixed(2)}`;
}

/** Milliseconds as the report prints them: two decimals below 10 ms, one below 100, whole above. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "n/a";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms).toLocaleString("en-US")} ms`;
}

/** A rate (per second) as the report prints it: whole numbers with thousands separators. */
export function formatRate(perSecond: number | undefined): string {
  return perSecond === undefined ? "n/a" : `${Math.round(perSecond).toLocaleString("en-US")}/s`;
}
