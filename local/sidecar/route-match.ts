// Route rules' `match`: CEL over the CloudEvent bound to `event`, as daprd evaluates it with cel-go (pkg/expr), here by @bufbuild/cel.
import { type CelInput, type CelResult, CelScalar, celEnv, celError, isCelError, parse, plan } from "@bufbuild/cel";
import { undefinedNames } from "../cel";

/** A route rule's `match`, compiled; `matches` throws a `RouteMatchError` when daprd's route lookup fails on it. */
export interface RouteMatch {
  readonly expression: string;
  matches(event: Readonly<Record<string, unknown>>): boolean;
}

/** The rule evaluated to a CEL error (a missing attribute...) or to a non-boolean, which daprd reports as a routing error. */
export class RouteMatchError extends Error {
  override name = "RouteMatchError";
}

// daprd's environment: CEL's standard library without extensions, and `event` of type dyn (pkg/expr declares every free
// identifier as dyn; only `event` is ever bound, so any other one fails when evaluated, here as there).
const ENV = celEnv({ variables: { event: CelScalar.DYN } });

/**
 * The event as daprd hands it to CEL: Go's encoding/json decodes it into map[string]any, so objects are maps and every
 * number is a float64, a CEL double (`event.data.count == 3` and `> 2` hold across numeric types; `+ 1` does not).
 */
function toCelInput(value: unknown): CelInput {
  if (Array.isArray(value)) return value.map(toCelInput);
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, field]) => field !== undefined);
    return new Map(entries.map(([key, field]) => [key, toCelInput(field)]));
  }
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean" || value === null) {
    return value;
  }
  throw new TypeError(`not a JSON value: ${String(value)}`);
}

/** Compiles a rule's `match` once; throws a load error naming the expression when it is not valid CEL for daprd. */
export function compileRouteMatch(expression: string): RouteMatch {
  let program: (bindings: { event: CelInput }) => CelResult;
  try {
    const parsed = parse(expression);
    // cel-go's checker rejects unknown functions when daprd loads the rule; @bufbuild/cel would only fail each event.
    const undeclared = undefinedNames(ENV, parsed.expr, new Set(["event"])).functions;
    if (undeclared.length > 0) {
      throw new Error(
        `undeclared reference to ${undeclared.map((name) => `'${name}'`).join(", ")} (route rules have CEL's standard functions only)`,
      );
    }
    program = plan(ENV, parsed);
  } catch (error) {
    throw new Error(`Route match ${JSON.stringify(expression)} is not valid CEL: ${(error as Error).message}`);
  }
  return {
    expression,
    matches(event) {
      const bindings = { event: toCelInput(event) };
      let result: CelResult;
      try {
        result = program(bindings);
      } catch (error) {
        result = celError(error);
      }
      // As daprd's matchRoutingRule does, an error or a non-boolean does not count as "no match": it ends the lookup
      // (later rules and the default route are not tried) and the handler dead-letters the message, or fails it for the
      // component to redeliver (delivery.ts). Skipping the rule instead would route the event elsewhere, or drop it,
      // where a real cluster would not: the broken rule would go unnoticed until deployed.
      if (isCelError(result)) {
        throw new RouteMatchError(`error evaluating ${JSON.stringify(expression)}: ${result.message}`);
      }
      if (typeof result !== "boolean") {
        throw new RouteMatchError(`the result of match expression ${expression} was not a boolean`);
      }
      return result;
    },
  };
}
