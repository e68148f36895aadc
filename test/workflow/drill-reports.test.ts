import { rehearse } from '../../rehearsal/rehearse.js';
import { SCENARIOS, findScenario } from '../../rehearsal/scenarios/index.js';

/** The HTML page a rehearsed drill wrote to its reports bucket. */
async function reportOf(workflow: string, scenarioName?: string): Promise<string> {
  const { written } = await rehearse(findScenario(workflow, scenarioName), 'staging');
  const page = written.find((object) => object.key.endsWith('.html'));
  if (!page) throw new Error(`${workflow} wrote no HTML report`);
  return page.body;
}

/** The rows of the table under a heading, as cell texts. */
function rowsUnder(html: string, heading: string): string[][] {
  const section = html.split(`<h2>${heading}</h2>`)[1]?.split('<h2>')[0] ?? '';
  return [...section.matchAll(/<tr>(.*?)<\/tr>/g)].slice(1).map((row) => [...(row[1] ?? '').matchAll(/<td>(.*?)<\/td>/g)].map((cell) => cell[1] ?? ''));
}

const listUnder = (html: string, heading: string) => [...(html.split(`<h2>${heading}</h2>`)[1]?.split('<h2>')[0] ?? '').matchAll(/<li>(.*?)<\/li>/g)].map((item) => item[1]);

const DRILLS = SCENARIOS.filter((scenario) => scenario.workflow === 'restore-drill' || scenario.workflow === 'failover-drill');

describe('the drill reports on-call reads', () => {
  it.each(DRILLS.map((scenario) => [scenario.workflow, scenario.name] as const))(
    '%s (%s) shows its figures against targets, where things stand, what was cleaned up and a timeline on the execution clock',
    async (workflow, name) => {
      // Act
      const html = await reportOf(workflow, name);

      // Assess
      const figures = rowsUnder(html, 'Figures against targets');
      expect(figures.length).toBeGreaterThan(0);
      for (const [, , target, result] of figures) {
        expect(target).not.toBe('—');
        expect(['met', 'MISSED']).toContain(result);
      }
      expect(listUnder(html, 'Where things stand').length).toBeGreaterThan(0);
      expect(listUnder(html, 'Cleaned up').length).toBeGreaterThan(0);
      const timeline = rowsUnder(html, 'Timeline');
      expect(timeline[0]?.[0]).toBe('+0:00');
      for (const [since] of timeline) expect(since).toMatch(/^\+\d+:\d\d(:\d\d)?$/);
      const offsets = timeline.map(([, at]) => Date.parse(at ?? ''));
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    },
    60_000,
  );

  it('shows the restore drill’s RTO as the minutes it waited for the restore, met against the 4-hour target, and the instance deleted', async () => {
    // Act
    const html = await reportOf('restore-drill', 'passing');

    // Assess
    expect(rowsUnder(html, 'Figures against targets')).toEqual([
      ['RTO', '8.1 min', '240 min', 'met'],
      ['Data-loss window', '0 min', '15 min', 'met'],
      ['Row-count deviation accounts_user', '0 %', '1 %', 'met'],
      ['Row-count deviation ledger_transaction', '0 %', '1 %', 'met'],
      ['Row-count deviation ledger_account', '0 %', '1 %', 'met'],
    ]);
    const timeline = rowsUnder(html, 'Timeline');
    expect(timeline.find(([, , step]) => step === 'Restored instance available')).toEqual(['+8:08', '2026-12-02T14:08:08.000Z', 'Restored instance available', 'after 4 status checks, 8 min of waiting']);
    expect(listUnder(html, 'Cleaned up')).toEqual([expect.stringMatching(/^Deleted financehub-staging-drill-\S+ \(no final snapshot, no retained backups\): RDS reported it gone at 2026-12-02T14:12:53.000Z\.$/)]);
  }, 60_000);

  it('shows the data-loss window the restore drill missed, and that it still deleted its instance', async () => {
    // Act
    const html = await reportOf('restore-drill', 'data-loss');

    // Assess
    expect(rowsUnder(html, 'Figures against targets')).toContainEqual(['Data-loss window', '23 min', '15 min', 'MISSED']);
    expect(html).toContain('<p class="verdict">FAILED (critical)</p>');
    expect(listUnder(html, 'Cleaned up')).toEqual([expect.stringMatching(/^Deleted financehub-staging-drill-/)]);
  }, 60_000);

  it('shows the failover drill’s phases against their targets and that a failover is not cleaned up but stays in place', async () => {
    // Act
    const html = await reportOf('failover-drill', 'healthy');

    // Assess
    expect(rowsUnder(html, 'Figures against targets')).toEqual([
      ['Database failover', '45 s', '120 s', 'met'],
      ['Cache failover', '30 s', '60 s', 'met'],
      ['Time to healthy application', '95 s', '300 s', 'met'],
    ]);
    expect(rowsUnder(html, 'Timeline').map(([since, , step]) => [since, step])).toEqual([
      ['+0:00', 'Drill started'],
      ['+0:00', 'Preconditions checked'],
      ['+0:00', 'Database failover requested'],
      ['+0:45', 'Database failed over'],
      ['+0:45', 'Cache failover requested'],
      ['+1:15', 'Cache failed over'],
      ['+1:35', 'Application healthy'],
      ['+1:35', 'Report written'],
    ]);
    expect(listUnder(html, 'Cleaned up')).toEqual(['Nothing to clean up: the drill creates no resources. The failover itself stays in place (see where things stand).']);
    expect(listUnder(html, 'Where things stand')[0]).toBe('Database financehub-staging-db: available in us-east-1b (was us-east-1a; failed over).');
  }, 60_000);
});
