// What a schemathesis 4.32 run did, read from its NDJSON event log (`--report ndjson`): each phase's status and requests, and the stateful phase's steps along the document's own links.

/** A phase's outcome over the run: every status it finished with (a phase may run more than once) and its requests. */
export interface PhaseOutcome {
  /** The `status` of each of its `PhaseFinished` events, in order: `success`, `failure`, `error`, `skip`, ... */
  statuses: string[];
  /** The HTTP interactions its scenarios recorded (`ScenarioFinished.recorder.interactions`). */
  requests: number;
}

/** A run's phases and links, as its event log tells them. */
export interface SchemathesisLog {
  /** By phase name (`probing`, `examples`, `coverage`, `fuzzing`, `stateful`, ...). */
  phases: Record<string, PhaseOutcome>;
  /** The transitions (OpenAPI links) the loaded document declared, before schemathesis inferred any. */
  declaredLinks: number;
  /** The links schemathesis inferred when the stateful phase started (`PhaseStarted.payload.inferred_transitions`). */
  inferredLinks: number;
  /** Stateful steps that followed a link of the document and applied it (`transition.is_inferred` false). */
  declaredLinkSteps: number;
  /** Stateful steps that followed an inferred link and applied it. */
  inferredLinkSteps: number;
  /** Of `declaredLinkSteps`, those answered 2xx: the link reached a resource that was there. */
  declaredLinkSuccesses: number;
}

interface Transition {
  is_inferred?: boolean;
}

/** A recorded request and its answer, under its case's id (absent when the request got no answer). */
interface Interaction {
  response?: { status_code?: number } | null;
}

interface RecordedCase {
  transition?: Transition;
  is_transition_applied?: boolean;
}

/** One line of the log: `{ EventName: payload }` (schemathesis/reporting/ndjson.py, `NdjsonWriter`). */
type LogLine = Record<string, Record<string, unknown>>;

/**
 * Reads the NDJSON lines of one run. The shapes followed are schemathesis 4.32.5's events (engine/events.py):
 * `LoadingFinished.statistic.transitions.total`, `PhaseStarted`/`PhaseFinished` with `phase.name` and `status`,
 * `ScenarioFinished` with `phase` and `recorder.{interactions,cases}` (an interaction under its case's id, with
 * `response.status_code`); a stateful case's `transition.is_inferred` says whether its link came from the document
 * or from inference. Throws on a line that is not JSON.
 */
export function readSchemathesisLog(lines: readonly string[]): SchemathesisLog {
  const log: SchemathesisLog = {
    phases: {},
    declaredLinks: 0,
    inferredLinks: 0,
    declaredLinkSteps: 0,
    inferredLinkSteps: 0,
    declaredLinkSuccesses: 0,
  };
  const phase = (name: string): PhaseOutcome => {
    log.phases[name] ??= { statuses: [], requests: 0 };
    return log.phases[name];
  };
  for (const line of lines) {
    if (line.trim() === "") continue;
    const event = JSON.parse(line) as LogLine;
    const [name = ""] = Object.keys(event);
    const payload = event[name] ?? {};
    if (name === "LoadingFinished") {
      const statistic = payload.statistic as { transitions?: { total?: number } } | undefined;
      log.declaredLinks = statistic?.transitions?.total ?? 0;
    } else if (name === "PhaseStarted") {
      const started = payload.payload as { inferred_transitions?: number } | undefined;
      log.inferredLinks += started?.inferred_transitions ?? 0;
    } else if (name === "PhaseFinished") {
      phase((payload.phase as { name: string }).name).statuses.push(String(payload.status));
    } else if (name === "ScenarioFinished") {
      const recorder = payload.recorder as {
        interactions?: Record<string, Interaction>;
        cases?: Record<string, RecordedCase>;
      };
      const outcome = phase(String(payload.phase));
      outcome.requests += Object.keys(recorder.interactions ?? {}).length;
      for (const [id, recorded] of Object.entries(recorder.cases ?? {})) {
        if (!recorded.transition || !recorded.is_transition_applied) continue;
        if (recorded.transition.is_inferred) {
          log.inferredLinkSteps += 1;
          continue;
        }
        log.declaredLinkSteps += 1;
        const status = recorder.interactions?.[id]?.response?.status_code;
        if (status !== undefined && status >= 200 && status < 300) log.declaredLinkSuccesses += 1;
      }
    }
  }
  return log;
}

/** Whether a phase ran and passed: it finished with `success` at least once, and never with anything but that or `skip`. */
export function phasePassed(outcome: PhaseOutcome | undefined): boolean {
  if (!outcome) return false;
  return outcome.statuses.includes("success") && outcome.statuses.every((s) => s === "success" || s === "skip");
}

/** The requests of every phase, summed. */
export function totalRequests(log: SchemathesisLog): number {
  return Object.values(log.phases).reduce((sum, outcome) => sum + outcome.requests, 0);
}
