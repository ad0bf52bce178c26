// The subset of CEL that subscription route rules use here: `event.<attr> == "..."` (or `!=`), combined with `&&`, `||` and parentheses.

type Node =
  | { kind: "and" | "or"; left: Node; right: Node }
  | { kind: "compare"; negate: boolean; path: string[]; literal: string };

/** A route rule's `match`, compiled; `matches` throws a `RouteMatchError` when CEL would fail to evaluate it. */
export interface RouteMatch {
  readonly expression: string;
  matches(event: Readonly<Record<string, unknown>>): boolean;
}

/** CEL evaluated to an error (a missing attribute), as Dapr reports it for a rule that cannot be decided. */
export class RouteMatchError extends Error {
  override name = "RouteMatchError";
}

type Token = { kind: "ident" | "string" | "op"; text: string };

const SUPPORTED = 'supported here: event.<attribute> == "text" or != "text", combined with &&, || and parentheses';

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const char = expression[i] as string;
    if (/\s/.test(char)) {
      i++;
    } else if (/[A-Za-z_]/.test(char)) {
      const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(expression.slice(i))?.[0] as string;
      tokens.push({ kind: "ident", text: ident });
      i += ident.length;
    } else if (char === '"' || char === "'") {
      const [text, next] = readString(expression, i);
      tokens.push({ kind: "string", text });
      i = next;
    } else {
      const op = ["==", "!=", "&&", "||", "(", ")", "."].find((o) => expression.startsWith(o, i));
      if (!op) throw new Error(`unexpected "${char}" at position ${i}`);
      tokens.push({ kind: "op", text: op });
      i += op.length;
    }
  }
  return tokens;
}

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", '"': '"', "'": "'" };

function readString(expression: string, start: number): [string, number] {
  const quote = expression[start];
  let text = "";
  for (let i = start + 1; i < expression.length; i++) {
    const char = expression[i] as string;
    if (char === quote) return [text, i + 1];
    if (char !== "\\") {
      text += char;
      continue;
    }
    const next = expression[++i] ?? "";
    if (next === "u" && /^[0-9a-fA-F]{4}$/.test(expression.slice(i + 1, i + 5))) {
      text += String.fromCharCode(Number.parseInt(expression.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (next in ESCAPES) {
      text += ESCAPES[next];
    } else {
      throw new Error(`unsupported escape "\\${next}" at position ${i - 1}`);
    }
  }
  throw new Error(`unterminated string starting at position ${start}`);
}

class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  parse(): Node {
    const node = this.or();
    if (this.position < this.tokens.length) throw new Error(`unexpected "${this.tokens[this.position]?.text}"`);
    return node;
  }

  private peek(text: string): boolean {
    const token = this.tokens[this.position];
    return token?.kind === "op" && token.text === text;
  }

  private take(): Token {
    const token = this.tokens[this.position++];
    if (!token) throw new Error("the expression ends too early");
    return token;
  }

  private or(): Node {
    let node = this.and();
    while (this.peek("||")) {
      this.position++;
      node = { kind: "or", left: node, right: this.and() };
    }
    return node;
  }

  private and(): Node {
    let node = this.primary();
    while (this.peek("&&")) {
      this.position++;
      node = { kind: "and", left: node, right: this.primary() };
    }
    return node;
  }

  private primary(): Node {
    if (this.peek("(")) {
      this.position++;
      const node = this.or();
      if (!this.peek(")")) throw new Error('a "(" is not closed');
      this.position++;
      return node;
    }
    const first = this.take();
    if (first.kind === "string") {
      const op = this.operator();
      return { kind: "compare", negate: op === "!=", path: this.path(this.take()), literal: first.text };
    }
    const path = this.path(first);
    const op = this.operator();
    const literal = this.take();
    if (literal.kind !== "string") throw new Error(`"${literal.text}" is not a string literal`);
    return { kind: "compare", negate: op === "!=", path, literal: literal.text };
  }

  private operator(): string {
    const op = this.take();
    if (op.kind !== "op" || (op.text !== "==" && op.text !== "!="))
      throw new Error(`expected == or !=, got "${op.text}"`);
    return op.text;
  }

  private path(first: Token): string[] {
    if (first.kind !== "ident" || first.text !== "event") {
      throw new Error(`"${first.text}" is not an attribute of "event"`);
    }
    const path: string[] = [];
    while (this.peek(".")) {
      this.position++;
      const ident = this.take();
      if (ident.kind !== "ident") throw new Error(`expected an attribute name after ".", got "${ident.text}"`);
      path.push(ident.text);
    }
    if (path.length === 0) throw new Error('compare an attribute such as event.type, not "event" itself');
    return path;
  }
}

// CEL's logic is commutative over errors: `true || error` is true and `false && error` is false, whatever the order.
type Outcome = boolean | RouteMatchError;

function evaluate(node: Node, event: Readonly<Record<string, unknown>>): Outcome {
  if (node.kind === "compare") {
    let value: unknown = event;
    for (const key of node.path) {
      if (typeof value !== "object" || value === null || !(key in value)) {
        return new RouteMatchError(`no such key: ${key}`);
      }
      value = (value as Record<string, unknown>)[key];
    }
    // Heterogeneous equality, as cel-go does by default: a value of another type is simply not equal.
    return (value === node.literal) !== node.negate;
  }
  const left = evaluate(node.left, event);
  const decisive = node.kind === "or";
  if (left === decisive) return decisive;
  const right = evaluate(node.right, event);
  if (right === decisive) return decisive;
  if (left instanceof RouteMatchError) return left;
  if (right instanceof RouteMatchError) return right;
  return !decisive;
}

/** Compiles a rule's `match`; throws a load error that names the expression when it is outside the supported subset. */
export function compileRouteMatch(expression: string): RouteMatch {
  let root: Node;
  try {
    root = new Parser(tokenize(expression)).parse();
  } catch (error) {
    throw new Error(
      `Route match ${JSON.stringify(expression)} is not supported by the development sidecar: ${(error as Error).message}; ${SUPPORTED}.`,
    );
  }
  return {
    expression,
    matches(event) {
      const outcome = evaluate(root, event);
      if (outcome instanceof RouteMatchError) {
        throw new RouteMatchError(`error evaluating ${JSON.stringify(expression)}: ${outcome.message}`);
      }
      return outcome;
    },
  };
}
