/**
 * Conformance results → a per-op table (console and markdown) and a JSON report.
 *
 * @typedef {{
 *   test: string, op: string, opset?: number, status: 'pass' | 'fail' | 'rejected',
 *   stage?: 'build' | 'run' | 'compare', code?: string, message?: string, bound: string[]
 * }} TestResult
 */

/** Totals and per-op rows (ops sorted by name). */
export function summarize(results) {
  const ops = new Map();
  for (const r of results) {
    let o = ops.get(r.op);
    if (!o) ops.set(r.op, (o = { op: r.op, tests: 0, passed: 0, failed: 0, rejected: 0, bound: new Set(), reasons: new Map() }));
    o.tests++;
    if (r.status === 'pass') o.passed++;
    else if (r.status === 'fail') o.failed++;
    else {
      o.rejected++;
      const key = `${r.code}: ${r.message}`;
      o.reasons.set(key, (o.reasons.get(key) ?? 0) + 1);
    }
    for (const b of r.bound) o.bound.add(b);
  }
  const rows = [...ops.values()].sort((a, b) => (a.op < b.op ? -1 : a.op > b.op ? 1 : 0)).map((o) => ({
    op: o.op, tests: o.tests, passed: o.passed, failed: o.failed, rejected: o.rejected, bound: [...o.bound].sort(),
    reasons: [...o.reasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
  }));
  const total = results.length;
  const count = (s) => results.filter((r) => r.status === s).length;
  const totals = { tests: total, passed: count('pass'), failed: count('fail'), rejected: count('rejected') };
  return { rows, totals };
}

export const pct = (n, d) => (d === 0 ? 0 : Math.round((1000 * n) / d) / 10);

const clip = (s, n) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const oneLine = (s) => String(s ?? '').replace(/\s+/g, ' ').trim();

function pad(cells, widths) {
  return cells.map((c, i) => (i === 0 || i === cells.length - 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ').trimEnd();
}

/** The console report: per-op table, totals, then every failure and rejection on one line each. */
export function formatText(summary, results, meta) {
  const head = ['op', 'tests', 'passed', 'failed', 'rejected', 'bound inputs'];
  const body = summary.rows.map((r) => [r.op, r.tests, r.passed, r.failed, r.rejected, r.bound.join(', ') || '-']);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => String(b[i]).length)));
  const lines = [];
  lines.push(`relax conformance: ${meta.target}, suite ${meta.suite} (${summary.totals.tests} tests)`);
  lines.push('');
  lines.push(pad(head, widths));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const b of body) lines.push(pad(b, widths));
  lines.push('');
  const t = summary.totals;
  lines.push(`total: ${t.tests} tests: ${t.passed} passed (${pct(t.passed, t.tests)}%), ${t.failed} failed (${pct(t.failed, t.tests)}%), ${t.rejected} rejected at build time (${pct(t.rejected, t.tests)}%)`);
  const failed = results.filter((r) => r.status === 'fail');
  if (failed.length) {
    lines.push('', `failures (${failed.length}):`);
    for (const r of failed) lines.push(`  ${r.test} [${r.op}] ${r.stage}: ${r.code ? `${r.code}: ` : ''}${clip(oneLine(r.message), 200)}`);
  }
  const rejected = results.filter((r) => r.status === 'rejected');
  if (rejected.length) {
    lines.push('', `rejected at build time (${rejected.length}):`);
    for (const r of rejected) lines.push(`  ${r.test} [${r.op}] ${r.code}: ${clip(oneLine(r.message), 200)}`);
  }
  return lines.join('\n');
}

const mdCell = (s) => oneLine(s).replace(/\|/g, '\\|');

/** The markdown report: totals, the per-op table with rejection reasons, then failures. */
export function formatMarkdown(summary, results, meta) {
  const t = summary.totals;
  const lines = [
    `# relax conformance: ${meta.target}`,
    '',
    `Suite \`${meta.suite}\`, ${t.tests} tests, relax ${meta.version}, ${meta.date}.`,
    '',
    `**${t.passed} passed (${pct(t.passed, t.tests)}%)**, ${t.failed} failed (${pct(t.failed, t.tests)}%), ${t.rejected} rejected at build time (${pct(t.rejected, t.tests)}%).`,
    '',
    '| op | tests | passed | failed | rejected | bound inputs | rejections |',
    '|----|------:|-------:|-------:|---------:|--------------|------------|',
  ];
  for (const r of summary.rows) {
    const reasons = r.reasons.map((x) => `${x.count}× ${clip(oneLine(x.reason), 160)}`).join('<br>');
    lines.push(`| ${r.op} | ${r.tests} | ${r.passed} | ${r.failed} | ${r.rejected} | ${r.bound.join(', ')} | ${mdCell(reasons)} |`);
  }
  const failed = results.filter((r) => r.status === 'fail');
  if (failed.length) {
    lines.push('', '## Failures', '', '| test | op | stage | reason |', '|------|----|-------|--------|');
    for (const r of failed) lines.push(`| ${r.test} | ${r.op} | ${r.stage} | ${mdCell(`${r.code ? `${r.code}: ` : ''}${clip(oneLine(r.message), 300)}`)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The JSON report (plain data). */
export function jsonReport(summary, results, meta) {
  return {
    format: 1, ...meta,
    totals: { ...summary.totals, passRate: pct(summary.totals.passed, summary.totals.tests) },
    ops: summary.rows,
    tests: results,
  };
}
