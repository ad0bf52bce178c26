// The outbox relay's marks as a group commit: the rows marked while one UPDATE runs go together in the next one.

/**
 * Marks published outbox rows on one session in groups. `mark(id)` resolves once an UPDATE that carried `id` has
 * completed; one UPDATE runs at a time, and every id marked while it runs goes into the next one, so N workers
 * marking on one connection cost about one round trip each time rather than N in a row. A caller still awaits its
 * own row's mark before its next publish, so what is in flight does not grow. A failed UPDATE rejects every mark it
 * carried and every mark waiting for the next one, and each later `mark` at once: after a failed mark the session
 * (and its advisory lock) may be gone, so nothing more is marked, and `failed` tells the caller to publish no more.
 */
export class GroupedMarks {
  private waiting: { id: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing = false;
  private failure: { error: unknown } | undefined;
  private updates = 0;

  /** `write` marks the given rows in one statement (`markPublished` on the relay's session); it throws on failure. */
  constructor(private readonly write: (ids: readonly string[]) => Promise<void>) {}

  /** Whether an UPDATE has failed: every mark since has been refused. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** How many UPDATEs have been sent so far. */
  get writes(): number {
    return this.updates;
  }

  /** Resolves once row `id` is marked published; rejects with the UPDATE's error when it failed (or one before it). */
  mark(id: string): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ id, resolve, reject });
      if (!this.writing) void this.writeGroups();
    });
  }

  private async writeGroups(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting;
        this.waiting = [];
        this.updates += 1;
        try {
          await this.write(group.map((waiter) => waiter.id));
        } catch (error) {
          this.failure = { error };
          const refused = [...group, ...this.waiting];
          this.waiting = [];
          for (const waiter of refused) waiter.reject(error);
          return;
        }
        for (const waiter of group) waiter.resolve();
      }
    } finally {
      this.writing = false;
    }
  }
}
