// Unit tests of the reminder email: subject, local times in the reminder's zone, and a Message-ID stable per reminder.
import { describe, expect, it } from "vitest";
import { reminderEmail } from "./email";
import { emailAddressProblem, mailboxAddress } from "./email-address";

describe("reminderEmail", () => {
  it("names the task, shows its times in its zone, and has a Message-ID from the reminder and the sender's domain", () => {
    const email = reminderEmail(
      {
        reminder_id: "6f9619ff-8b86-4011-b42d-00c04fc964ff",
        task_id: 7,
        user_id: "alice",
        remind_at: "2026-03-08T13:30:00.000Z",
        due_at: "2026-03-08T14:00:00.000Z",
        title: "Call the bank",
        time_zone: "America/New_York",
        triggered_at: "2026-03-08T13:30:01.000Z",
      },
      "Tasks <tasks@example.com>",
      "alice@example.org",
    );
    expect(email).toMatchObject({
      from: "Tasks <tasks@example.com>",
      to: "alice@example.org",
      subject: "Reminder: Call the bank",
      messageId: "<6f9619ff-8b86-4011-b42d-00c04fc964ff.reminder@example.com>",
    });
    // 14:00Z on 8 March 2026 is 10:00 in New York: daylight saving time began that morning.
    expect(email.text).toContain("Due: 2026-03-08 10:00 (America/New_York)");
    expect(email.text).toContain("Reminder time: 2026-03-08 09:30 (America/New_York)");
  });

  it("falls back to the task id and UTC for a reminder with only the contract's fields", () => {
    const email = reminderEmail(
      {
        reminder_id: "6f9619ff-8b86-4011-b42d-00c04fc964ff",
        task_id: 1,
        user_id: "alice",
        remind_at: "2026-12-01T10:00:00.000Z",
        triggered_at: "2026-12-01T10:00:01.000Z",
      },
      "tasks@example.com",
      "alice@example.org",
    );
    expect(email.subject).toBe("Reminder: task 1");
    expect(email.text).toContain("Reminder time: 2026-12-01 10:00 (UTC)");
    expect(email.text).not.toContain("Due:");
  });
});

describe("email addresses", () => {
  it("takes what a browser's email field takes, up to 254 characters", () => {
    expect(emailAddressProblem("alice+tasks@mail.example.org")).toBeUndefined();
    for (const bad of ["alice", "alice@", "@example.org", "a b@example.org", "alice@exa_mple.org", "<a@b.c>"]) {
      expect(emailAddressProblem(bad), bad).toBe(
        "must be an email address (local-part@domain, as in a browser's email field)",
      );
    }
    expect(emailAddressProblem(`${"a".repeat(250)}@b.cd`)).toBe("must be at most 254 characters");
  });

  it("reads the address of a mailbox with or without a display name", () => {
    expect(mailboxAddress("Tasks <tasks@example.com>")).toBe("tasks@example.com");
    expect(mailboxAddress(" tasks@example.com ")).toBe("tasks@example.com");
  });
});
