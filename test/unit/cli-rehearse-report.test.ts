import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keepReports } from '../../cli/commands/rehearse.js';
import type { Rehearsal } from '../../rehearsal/rehearse.js';

describe('fhops rehearse --report', () => {
  let folder: string;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), 'fhops-reports-'));
  });
  afterEach(() => rmSync(folder, { recursive: true, force: true }));

  it('writes the HTML report the drill wrote to S3 into the folder and returns its path', () => {
    // Prepare
    const rehearsal = {
      environment: 'staging',
      written: [
        { bucket: 'b', key: 'drills/restore-drill/run-1.json', contentType: 'application/json', body: '{}' },
        { bucket: 'b', key: 'drills/restore-drill/run-1.html', contentType: 'text/html; charset=utf-8', body: '<html>report</html>' },
      ],
    } as unknown as Rehearsal;

    // Act
    const files = keepReports(rehearsal, folder);

    // Assess
    expect(files).toEqual([join(folder, 'staging-run-1.html')]);
    expect(readFileSync(files[0] ?? '', 'utf8')).toBe('<html>report</html>');
  });

  it('writes nothing for a workflow that wrote no report', () => {
    // Act
    const files = keepReports({ environment: 'staging', written: [] } as unknown as Rehearsal, join(folder, 'none'));

    // Assess
    expect(files).toEqual([]);
  });
});
