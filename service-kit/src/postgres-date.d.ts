// Types of postgres-date 1.x (the parser node-postgres uses through pg-types), which ships none.
declare module "postgres-date" {
  /** A date, timestamp or timestamptz in PostgreSQL's ISO output as a Date; `±infinity` as ±Infinity; null if unreadable. */
  export default function parseDate(text: string): Date | number | null;
}
