// PostgreSQL errors caused by the data itself (a NUL in text, a year it cannot write, an index row too large): no retry can make them succeed.

/** PostgreSQL's refusal of a value: its message and SQLSTATE, and the table, column or constraint when it names one. */
export interface StorageRefusal {
  message: string;
  code: string;
  table?: string;
  column?: string;
  constraint?: string;
}

/**
 * PostgreSQL's refusal of a value, when `error` is one; undefined for any other error (a lost connection, a server
 * shutting down, a deadlock), which may succeed when tried again. The refusals are SQLSTATE class 22, "data
 * exception" (22021 invalid byte sequence, 22008 datetime field overflow, 22001 string too long, 22003 numeric value
 * out of range, 22P02 invalid text representation...), and 54000, "program limit exceeded" (an index row beyond
 * 8191 bytes), as PostgreSQL's "Errcodes" appendix lists them. node-postgres and PGlite both put the SQLSTATE on
 * `code` of the error they throw, and Kysely rethrows it unchanged. PostgreSQL's messages name no value.
 */
export function storageRefusal(error: unknown): StorageRefusal | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { code, message, table, column, constraint } = error as Record<string, unknown>;
  if (typeof code !== "string" || !(code.startsWith("22") || code === "54000")) return undefined;
  return {
    message: typeof message === "string" ? message : "data exception",
    code,
    ...(typeof table === "string" ? { table } : {}),
    ...(typeof column === "string" ? { column } : {}),
    ...(typeof constraint === "string" ? { constraint } : {}),
  };
}
