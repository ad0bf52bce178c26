// Unit tests of the schema walker against the validators the services use: every valid value it makes passes, every broken one is refused at the field it says it broke.
import { contractViolationsOn, EVENT_TYPE_NAMES, topicOf } from "@event-platform/events";
import { idBoundViolations, violationsOf } from "@event-platform/service-kit";
import fc from "fast-check";
import type Type from "typebox";
import { describe, expect, it } from "vitest";
import {
  CreateTaskBody,
  ListTasksQuery,
  NextOccurrenceBody,
  TaskIdParams,
  UpdateTaskArguments,
  UpdateTaskBody,
} from "../../apps/backend/src/api-schemas";
import { IdParams, ListQuery } from "../../apps/dead-letters/src/api-schemas";
import { ListNotificationsQuery, NotificationIdParams, PreferencesBody } from "../../apps/notification/src/api-schemas";
import { type Broken, brokenObject, consumedEventSchema, type Schema, validObject } from "./schema-arbitraries";

/** Whether a violation names the broken field: at its pointer or below it. */
const names = (broken: Broken, path: string) => path === broken.path || path.startsWith(`${broken.path}/`);

const BODIES: Record<string, Type.TSchema> = {
  CreateTaskBody,
  UpdateTaskBody,
  NextOccurrenceBody,
  UpdateTaskArguments,
  PreferencesBody,
};
const TEXT: Record<string, { schema: Type.TSchema; fixedKeys: boolean }> = {
  ListTasksQuery: { schema: ListTasksQuery, fixedKeys: false },
  ListNotificationsQuery: { schema: ListNotificationsQuery, fixedKeys: false },
  ListQuery: { schema: ListQuery, fixedKeys: false },
  TaskIdParams: { schema: TaskIdParams, fixedKeys: true },
  NotificationIdParams: { schema: NotificationIdParams, fixedKeys: true },
  IdParams: { schema: IdParams, fixedKeys: true },
};

describe("schema arbitraries", () => {
  it.each(Object.keys(BODIES))("%s: valid objects pass the kit's validator", (name) => {
    const schema = BODIES[name] as Type.TSchema;
    fc.assert(
      fc.property(validObject(schema as Schema), (value) => {
        expect(violationsOf(schema, value)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it.each(Object.keys(BODIES))("%s: a broken object is refused naming the field broken", (name) => {
    const schema = BODIES[name] as Type.TSchema;
    fc.assert(
      fc.property(brokenObject(schema as Schema), (broken) => {
        const found = violationsOf(schema, broken.value);
        expect(
          found.some((v) => names(broken, v.path)),
          `${broken.keyword} ${JSON.stringify(found)}`,
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(Object.keys(TEXT))("%s as text: valid passes, broken is refused naming the field", (name) => {
    const { schema, fixedKeys } = TEXT[name] as (typeof TEXT)[string];
    fc.assert(
      fc.property(validObject(schema as Schema), (value) => {
        const text = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
        expect(violationsOf(schema, text, "", true)).toEqual([]);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(brokenObject(schema as Schema, { text: true, fixedKeys }), (broken) => {
        expect(Object.values(broken.value).every((v) => typeof v === "string")).toBe(true);
        const found = violationsOf(schema, { ...broken.value }, "", true);
        expect(
          found.some((v) => names(broken, v.path)),
          `${broken.keyword} ${JSON.stringify(found)}`,
        ).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it.each(EVENT_TYPE_NAMES)("%s: the consumed event schema agrees with the kit's check of deliveries", (type) => {
    const topic = topicOf(type);
    const schema = consumedEventSchema(topic, type);
    const check = (event: unknown) => [...contractViolationsOn(topic, event), ...idBoundViolations(event)];
    fc.assert(
      fc.property(validObject(schema), (event) => {
        expect(check(event)).toEqual([]);
        expect((event as { type?: unknown }).type).toBe(type);
      }),
      { numRuns: 100 },
    );
    fc.assert(
      fc.property(brokenObject(schema), (broken) => {
        const found = check(broken.value);
        // The kit drops an event of another type than its route's (or none) by the route rule, not the contract.
        const otherType =
          broken.path === "/type" && (broken.value.type === undefined || typeof broken.value.type === "string");
        expect(
          otherType || found.some((v) => names(broken, v.path)),
          `${broken.keyword} ${JSON.stringify(found)}`,
        ).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it("throws on a schema it cannot read, and on an object with nothing to break", () => {
    expect(() => validObject({ properties: { x: { type: "tuple" } } })).toThrow(/no generator/);
    expect(() => brokenObject({ type: "object" })).toThrow(/nothing to break/);
  });
});
