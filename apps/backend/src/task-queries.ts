// The task list query: a user's tasks filtered, searched, sorted and paged, as SQL that PostgreSQL and PGlite both run.
import { readInOneSnapshot } from "@event-platform/service-kit";
import { type Expression, type Kysely, type SqlBool, sql, type Transaction } from "kysely";
import type { ListTasksQuery } from "./api-schemas";
import type { Tables, TaskRow } from "./tables";

export const DEFAULT_PAGE_SIZE = 20;

export interface TaskPage {
  items: TaskRow[];
  /** How many tasks match, over all pages. */
  total: number;
  limit: number;
  offset: number;
}

/** `%`, `_` and the escape character itself match literally in the search text. */
function likePattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** A page of the user's tasks and how many match in all, read in one snapshot so the two agree. */
export function listTasks(db: Kysely<Tables>, userId: string, query: ListTasksQuery): Promise<TaskPage> {
  return readInOneSnapshot(db, (trx) => readTaskPage(trx, userId, query));
}

async function readTaskPage(trx: Transaction<Tables>, userId: string, query: ListTasksQuery): Promise<TaskPage> {
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const offset = query.offset ?? 0;
  const matching = trx
    .selectFrom("tasks")
    .where("user_id", "=", userId)
    .where((eb) => {
      const conditions: Expression<SqlBool>[] = [];
      if (query.completed !== undefined) conditions.push(eb("completed", "=", query.completed));
      if (query.priority !== undefined) conditions.push(eb("priority", "=", query.priority));
      if (query.tag !== undefined) conditions.push(sql<SqlBool>`${sql.ref("tags")} @> ARRAY[${query.tag}]::text[]`);
      if (query.due_from !== undefined) conditions.push(eb("due_date", ">=", new Date(query.due_from)));
      if (query.due_to !== undefined) conditions.push(eb("due_date", "<=", new Date(query.due_to)));
      if (query.q !== undefined) {
        const pattern = likePattern(query.q);
        conditions.push(
          eb.or([
            sql<SqlBool>`${sql.ref("title")} ILIKE ${pattern} ESCAPE '\\'`,
            sql<SqlBool>`${sql.ref("description")} ILIKE ${pattern} ESCAPE '\\'`,
          ]),
        );
      }
      return eb.and(conditions);
    });

  const descending = query.order === "desc";
  const direction = descending ? "desc" : "asc";
  let ordered = matching.selectAll();
  switch (query.sort ?? "created_at") {
    case "due_date":
      // Tasks without a due date come last whichever the direction: they are never "due soonest".
      ordered = ordered.orderBy("due_date", (ob) => (descending ? ob.desc() : ob.asc()).nullsLast());
      break;
    case "priority":
      ordered = ordered.orderBy(
        sql`CASE ${sql.ref("priority")} WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END`,
        direction,
      );
      break;
    case "created_at":
      break;
  }
  // created_at then id as the last keys make the order total, so pages never repeat or skip a task.
  const items = await ordered
    .orderBy("created_at", direction)
    .orderBy("id", direction)
    .limit(limit)
    .offset(offset)
    .execute();
  const counted = await matching.select((eb) => eb.fn.countAll<string>().as("total")).executeTakeFirstOrThrow();
  return { items, total: Number(counted.total), limit, offset };
}
