// Go duration strings ("500ms", "2s", "1m30s"), the format of every duration in Dapr resources, as milliseconds.

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;

/**
 * Parses a duration the way Go's `time.ParseDuration` does: an optional sign, then one or more decimal numbers
 * each with a unit (`ns`, `us`, `ms`, `s`, `m`, `h`); "0" alone needs no unit. Returns milliseconds.
 */
export function parseGoDuration(text: string): number {
  const invalid = (why: string) =>
    new Error(`Invalid duration "${text}": ${why} (Go syntax, such as "500ms", "2s" or "1m30s").`);
  let rest = text.trim();
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw invalid("it is empty");
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < rest.length) {
    const start = PART.lastIndex;
    const match = PART.exec(rest);
    if (!match || match.index !== start) {
      throw invalid(/^\d+(\.\d*)?$/.test(rest.slice(start)) ? "a number lacks its unit" : "unexpected text");
    }
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  return sign * total;
}

/** Reads a resource field that holds a Go duration, naming the field when it does not parse. */
export function durationField(value: unknown, field: string): number {
  if (typeof value !== "string") {
    throw new Error(`${field}: expected a duration such as "2s", got ${JSON.stringify(value)}.`);
  }
  try {
    return parseGoDuration(value);
  } catch (error) {
    throw new Error(`${field}: ${(error as Error).message}`);
  }
}
