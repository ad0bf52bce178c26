// Exponential backoff with jitter, for the outbox relay while the sidecar or Kafka is down.

export interface BackoffSettings {
  initialMs: number;
  maxMs: number;
}

/**
 * The wait before retry number `attempt` (1 = the first retry): `initialMs` doubled per attempt, capped at `maxMs`,
 * then spread over its upper half so that replicas restarted together do not retry in lockstep.
 */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
