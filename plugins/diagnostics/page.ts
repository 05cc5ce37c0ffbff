import type { AgentState, PluginState } from '../../src/index.js';
import type { DiagnosticsReport } from './report.js';

/** A colour for every plugin and agent state (the status check's health states are among them). */
const COLOURS: Record<PluginState | AgentState, string> = {
  ok: '#2e7d32',
  degraded: '#ef6c00',
  starting: '#f9a825',
  stopping: '#f9a825',
  error: '#c62828',
  failed: '#c62828',
  skipped: '#8d6e63',
  stopped: '#616161',
  idle: '#9e9e9e',
};

function colourOf(state: string): string {
  return (COLOURS as Record<string, string | undefined>)[state] ?? '#9e9e9e';
}

/** Escapes text for HTML and SVG. */
export function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The page's own script: it replaces the content with each `content` event of
 * the live stream (the same HTML, rendered on the server), and reconnects by
 * itself when the agent restarts.
 */
const LIVE_SCRIPT = `<script>
(function () {
  if (!window.EventSource) return;
  var content = document.getElementById('content');
  var state = document.getElementById('live');
  var source = new EventSource('diagnostics/events');
  source.addEventListener('content', function (e) { content.innerHTML = e.data; });
  source.onopen = function () { state.textContent = 'live'; };
  source.onerror = function () { state.textContent = 'reconnecting'; };
})();
</script>`;

/**
 * The diagnostics page: self-contained HTML with inline CSS and SVG and no
 * CDN; a small inline script keeps it up to date from the live stream.
 */
export function renderPage(report: DiagnosticsReport): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>${escape(report.agent.name)}: diagnostics</title>
<style>
body{font:14px system-ui,sans-serif;margin:24px;color:#212121}
table{border-collapse:collapse;margin-bottom:24px}td,th{padding:4px 10px;border-bottom:1px solid #e0e0e0;text-align:left}
.num{text-align:right;font-variant-numeric:tabular-nums}.state{color:#fff;border-radius:3px;padding:1px 6px}
h2{margin-top:28px}svg text{font:12px system-ui,sans-serif}#live{color:#757575}
</style></head><body>
<div id="content">
${renderContent(report)}
</div>
<p><small id="live">static</small></p>
${LIVE_SCRIPT}
</body></html>`;
}

/** What the page shows, and what the live stream sends again on each change. */
export function renderContent(report: DiagnosticsReport): string {
  const rows = report.plugins
    .map((p) => {
      const state = p.health ?? p.state;
      const error = p.healthError ?? p.error;
      return `<tr class="plugin" data-plugin="${escape(p.name)}">
  <td>${escape(p.name)}</td><td><code>${escape(p.path)}</code></td>
  <td><span class="state" style="background:${colourOf(state)}">${escape(state)}</span>${p.optional ? ' <small>optional</small>' : ''}</td>
  <td class="num">${p.timings.init === undefined ? '' : p.timings.init.toFixed(2)}</td>
  <td>${p.dependsOn.map(escape).join(', ')}</td>
  <td>${error ? escape(error) : ''}</td></tr>`;
    })
    .join('\n');
  return `<h1>${escape(report.agent.name)} <small>${escape(report.agent.label)}</small></h1>
<p>State: <span class="state" id="agent-state" style="background:${colourOf(report.agent.state)}">${escape(report.agent.state)}</span>
 · ${report.plugins.length} plugins · <a href="diagnostics.json">JSON</a></p>
<h2>Plugins</h2>
<table id="plugins"><thead><tr><th>plugin</th><th>path</th><th>state</th><th>init ms</th><th>depends on</th><th>error</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Start-up timeline</h2>
${renderTimeline(report)}
<h2>Dependencies</h2>
${renderGraph(report)}
${renderTasks(report)}`;
}

function renderTimeline(report: DiagnosticsReport): string {
  const total = Math.max(...report.timeline.map((b) => b.startMs + b.durationMs), 0.001);
  const width = 720;
  const labelWidth = 200;
  const rowHeight = 18;
  const bars = report.timeline
    .map((b, i) => {
      const x = labelWidth + (b.startMs / total) * width;
      const w = Math.max(1, (b.durationMs / total) * width);
      const y = i * rowHeight;
      return `<g class="bar"><text x="0" y="${y + 13}">${escape(b.plugin)} · ${b.phase}</text>
<rect x="${x.toFixed(1)}" y="${y + 3}" width="${w.toFixed(1)}" height="12" fill="${b.phase === 'init' ? '#1565c0' : '#6a1b9a'}"><title>${escape(b.plugin)} ${b.phase}: ${b.durationMs.toFixed(2)} ms</title></rect>
<text x="${(x + w + 4).toFixed(1)}" y="${y + 13}">${b.durationMs.toFixed(2)} ms</text></g>`;
    })
    .join('\n');
  const height = report.timeline.length * rowHeight + 4;
  return `<svg id="timeline" width="${labelWidth + width + 80}" height="${height}" role="img" aria-label="start-up timeline">${bars}</svg>`;
}

/** The dependency graph, laid out in columns by depth: dependencies left of their dependents. */
function renderGraph(report: DiagnosticsReport): string {
  const byName = new Map(report.plugins.map((p) => [p.name, p]));
  const depth = new Map<string, number>();
  for (const p of report.plugins) {
    // plugins come in start order, so every dependency already has its depth
    depth.set(p.name, Math.max(-1, ...p.dependsOn.map((d) => depth.get(d) ?? 0)) + 1);
  }
  const columns: string[][] = [];
  for (const p of report.plugins) (columns[depth.get(p.name)!] ??= []).push(p.name);
  const box = { w: 150, h: 28, gapX: 60, gapY: 14 };
  const at = new Map<string, { x: number; y: number }>();
  columns.forEach((names, c) =>
    names.forEach((name, r) =>
      at.set(name, { x: 10 + c * (box.w + box.gapX), y: 10 + r * (box.h + box.gapY) }),
    ),
  );
  const edges = report.plugins.flatMap((p) =>
    p.dependsOn.map((d) => {
      const from = at.get(d)!;
      const to = at.get(p.name)!;
      return `<path class="edge" d="M${from.x + box.w},${from.y + box.h / 2} C${from.x + box.w + box.gapX / 2},${from.y + box.h / 2} ${to.x - box.gapX / 2},${to.y + box.h / 2} ${to.x},${to.y + box.h / 2}" fill="none" stroke="#757575" marker-end="url(#arrow)"/>`;
    }),
  );
  const nodes = [...at].map(([name, { x, y }]) => {
    const p = byName.get(name)!;
    const colour = colourOf(p.health ?? p.state);
    return `<g class="node" data-plugin="${escape(name)}"><rect x="${x}" y="${y}" width="${box.w}" height="${box.h}" rx="4" fill="#fff" stroke="${colour}" stroke-width="2"/>
<text x="${x + 8}" y="${y + 18}">${escape(name)}</text></g>`;
  });
  const width = 20 + columns.length * (box.w + box.gapX);
  const height = 20 + Math.max(1, ...columns.map((c) => c.length)) * (box.h + box.gapY);
  return `<svg id="graph" width="${width}" height="${height}" role="img" aria-label="dependency graph">
<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#757575"/></marker></defs>
${edges.join('\n')}
${nodes.join('\n')}
</svg>`;
}

function renderTasks(report: DiagnosticsReport): string {
  if (!report.tasks) return '';
  const rows = report.tasks
    .map(
      (t) =>
        `<tr class="task"><td>${escape(t.name)}</td><td>${escape(t.state)}</td><td class="num">${Math.round(t.progress * 100)}%</td>` +
        `<td class="num">${t.durationMs ?? ''}</td><td>${escape(t.error ?? t.note ?? '')}</td></tr>`,
    )
    .join('\n');
  return `<h2>Tasks</h2>
<table id="tasks"><thead><tr><th>task</th><th>state</th><th>progress</th><th>ms</th><th>error or note</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}
