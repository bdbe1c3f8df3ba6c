/**
 * Runs work in groups (group commit): items submitted while `maxRunning` groups are in flight
 * wait, and all of them go together in the next group, up to `maxGroup`. Under no load an item
 * runs at once on its own; under load the group grows, so one database round trip serves many
 * callers. `run` answers one result per item, in order; a result that is an Error rejects only
 * its own item, and a thrown error rejects the whole group.
 */
export class GroupRunner<I, O> {
  private readonly pending: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private running = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<Array<O | Error>>,
    private readonly maxRunning = 1,
    private readonly maxGroup = 500,
  ) {
    if (!Number.isInteger(maxRunning) || maxRunning < 1) throw new RangeError('maxRunning must be a positive integer');
    if (!Number.isInteger(maxGroup) || maxGroup < 1) throw new RangeError('maxGroup must be a positive integer');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.next();
    });
  }

  /** Items waiting for a group, and groups in flight. */
  get load(): { pending: number; running: number } {
    return { pending: this.pending.length, running: this.running };
  }

  private next(): void {
    while (this.running < this.maxRunning && this.pending.length) {
      const group = this.pending.splice(0, this.maxGroup);
      this.running++;
      Promise.resolve()
        .then(() => this.run(group.map((g) => g.item)))
        .then(
          (results) => {
            if (results.length !== group.length) throw new Error(`a group of ${group.length} items produced ${results.length} results`);
            group.forEach((g, i) => (results[i] instanceof Error ? g.reject(results[i]) : g.resolve(results[i] as O)));
          },
        )
        .catch((e: unknown) => group.forEach((g) => g.reject(e)))
        .finally(() => {
          this.running--;
          this.next();
        });
    }
  }
}
