import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { linesHash, PublishJournal } from './publish-journal';

describe('PublishJournal', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rx-journal-'));
  const record = (from: number, to: number) => ({ from, to, sha256: linesHash([`${from}`]), accepted: to - from + 1, duplicate: 0, rejected: [] });

  it('keeps settled batches across runs and reads them by first line', () => {
    const file = path.join(dir, 'a.journal');
    const j = PublishJournal.open(file, false);
    j.append(record(1, 10));
    j.append(record(11, 20));
    j.close();
    const again = PublishJournal.open(file, false);
    expect([...again.byFirstLine().keys()]).toEqual([1, 11]);
    again.close();
    expect(PublishJournal.open(file, true).settledBatches).toHaveLength(0);
  });

  it('ignores a torn last record (a kill mid-write) and keeps appending on a new line', () => {
    const file = path.join(dir, 'b.journal');
    fs.writeFileSync(file, JSON.stringify({ journal: 'risk-exchange publish' }) + '\n' + JSON.stringify(record(1, 5)) + '\n{"from":6,"to');
    const j = PublishJournal.open(file, false);
    expect(j.settledBatches.map((r) => r.from)).toEqual([1]);
    j.append(record(6, 9));
    j.close();
    expect(PublishJournal.open(file, false).settledBatches.map((r) => r.from)).toEqual([1, 6]);
  });

  it('refuses a file that is not a journal, saying what to do', () => {
    const file = path.join(dir, 'c.journal');
    fs.writeFileSync(file, 'hello\nworld\n');
    expect(() => PublishJournal.open(file, false)).toThrow(/is not a publish journal \(line 1\); move it away or give --restart/);
    expect(PublishJournal.open(file, true).settledBatches).toEqual([]);
  });
});
