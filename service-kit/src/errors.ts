// The errors a service's functions throw, each with the HTTP status REST answers with (and MCP reports).

import type { Violation } from "@event-platform/events";

export type { Violation };

export class ServiceError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * At most this many violations are reported, then one saying how many more there were: a body of thousands of
 * unknown fields gets an answer of bounded size.
 */
export const MAX_VIOLATIONS = 50;

function bounded(violations: Violation[]): Violation[] {
  if (violations.length <= MAX_VIOLATIONS) return violations;
  const more = violations.length - MAX_VIOLATIONS;
  return [...violations.slice(0, MAX_VIOLATIONS), { path: "", message: `and ${more} more violations` }];
}

/** Input that breaks the API's schemas or rules; lists every bad field (up to MAX_VIOLATIONS). */
export class InvalidInputError extends ServiceError {
  readonly violations: Violation[];

  constructor(violations: Violation[]) {
    const shown = bounded(violations);
    super(400, `Invalid input: ${shown.map((v) => `${v.path || "/"} ${v.message}`).join("; ")}`);
    this.violations = shown;
  }

  /** The same violations under `prefix`: the service names fields of its input, REST places them in `/body`. */
  under(prefix: string): InvalidInputError {
    return new InvalidInputError(this.violations.map((v) => ({ path: `${prefix}${v.path}`, message: v.message })));
  }
}

/** No such thing for this caller. Another user's is reported the same way, so its existence never leaks. */
export class NotFoundError extends ServiceError {
  constructor(message: string) {
    super(404, message);
  }
}

export class ConflictError extends ServiceError {
  constructor(message: string) {
    super(409, message);
  }
}

export class UnauthorizedError extends ServiceError {
  constructor(message: string) {
    super(401, message);
  }
}

/** An authenticated caller without the role a route needs (the dead-letter desk's operator role). */
export class ForbiddenError extends ServiceError {
  constructor(message: string) {
    super(403, message);
  }
}

/** A call on a route only the Dapr sidecar may call, without the app API token (`dapr-api-token`). */
export class AppTokenError extends ServiceError {
  constructor(message: string) {
    super(401, message);
  }
}
