// What a parsed CEL expression uses that an @bufbuild/cel environment does not define: the check cel-go's compiler makes, which @bufbuild/cel does not export.
import type { celEnv, parse } from "@bufbuild/cel";

type CelEnv = ReturnType<typeof celEnv>;
type CelExpr = ReturnType<typeof parse>["expr"];

/** Calls the planner evaluates itself (logic, the conditional, indexing) instead of looking them up in the environment. */
const PLANNER_CALLS = new Set([
  "_&&_",
  "_||_",
  "_?_:_",
  "_[_]",
  "_[?_]",
  "_?._",
  "@not_strictly_false",
  "__not_strictly_false__",
]);

export interface UndefinedNames {
  /** Functions the environment does not define. */
  functions: string[];
  /** Identifiers bound neither by the caller nor by a comprehension. */
  variables: string[];
}

/** The functions and variables `expr` uses that `env` (with the variables in `bound`) does not define, each once. */
export function undefinedNames(env: CelEnv, expr: CelExpr | undefined, bound: ReadonlySet<string>): UndefinedNames {
  const functions = new Set<string>();
  const variables = new Set<string>();
  const visit = (node: CelExpr | undefined, scope: ReadonlySet<string>): void => {
    const kind = node?.exprKind;
    const under = (children: (CelExpr | undefined)[], inner = scope) => {
      for (const child of children) visit(child, inner);
    };
    switch (kind?.case) {
      case "identExpr":
        if (!scope.has(kind.value.name)) variables.add(kind.value.name);
        break;
      case "selectExpr":
        under([kind.value.operand]);
        break;
      case "callExpr": {
        const { function: name, target, args } = kind.value;
        if (!PLANNER_CALLS.has(name) && env.funcs.find(name) === undefined) functions.add(name);
        under([target, ...args]);
        break;
      }
      case "listExpr":
        under(kind.value.elements);
        break;
      case "structExpr":
        under(
          kind.value.entries.flatMap(({ keyKind, value }) => [
            keyKind.case === "mapKey" ? keyKind.value : undefined,
            value,
          ]),
        );
        break;
      case "comprehensionExpr": {
        const { iterRange, accuInit, accuVar, iterVar, iterVar2, loopCondition, loopStep, result } = kind.value;
        const withAccumulator = new Set([...scope, accuVar]);
        under([iterRange, accuInit]);
        under([loopCondition, loopStep], new Set([...withAccumulator, iterVar, iterVar2]));
        under([result], withAccumulator);
        break;
      }
      default:
        break;
    }
  };
  visit(expr, bound);
  return { functions: [...functions], variables: [...variables] };
}
