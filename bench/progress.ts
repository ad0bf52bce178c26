// The benchmark's progress line: elapsed time, the section and its step, rewritten in place on a terminal.

/** Reports progress on stderr: one line rewritten in place on a terminal, one line per step otherwise (CI logs). */
export class Progress {
  private readonly startedAt = Date.now();
  private section = "";

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Starts a section (`kafka baseline`, `task writes (postgres)`...). */
  begin(section: string): void {
    this.section = section;
    this.step("starting");
  }

  /** The step within the current section. */
  step(detail: string): void {
    const seconds = Math.round((Date.now() - this.startedAt) / 1000);
    const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    const line = `[bench ${clock}] ${this.section}: ${detail}`;
    if (this.stream.isTTY) this.stream.write(`\r\x1b[2K${line.slice(0, (this.stream.columns ?? 120) - 1)}`);
    else this.stream.write(`${line}\n`);
  }

  /** Ends the line on a terminal, so that what follows starts on its own. */
  done(): void {
    if (this.stream.isTTY) this.stream.write("\n");
  }
}
