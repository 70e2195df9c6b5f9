//! The live page served at `GET /`: self-contained HTML that polls the control API.

/// The page. Everything it shows comes from `/__mock/stats`, `/__mock/batches` and
/// `/__mock/requests`; received text is inserted with `textContent` only, because item
/// contents come from arbitrary extensions and must never run as markup.
pub const PAGE: &str = r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mv3-telemetry mock collector</title>
<style>
  :root { color-scheme: light dark; --muted: #888; --bad: #c0392b; --good: #27ae60; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; }
  h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
  h2 { font-size: 1rem; margin: 1.5rem 0 .5rem; }
  .muted { color: var(--muted); }
  .cards { display: flex; flex-wrap: wrap; gap: .75rem; margin-top: 1rem; }
  .card { border: 1px solid #8884; border-radius: 8px; padding: .6rem 1rem; min-width: 8rem; }
  .card b { display: block; font-size: 1.6rem; }
  .card.warn b { color: var(--bad); }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .25rem .6rem; border-bottom: 1px solid #8883; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  code, td.mono { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
  .bad { color: var(--bad); } .good { color: var(--good); }
  button { font: inherit; }
</style>
</head>
<body>
<h1>mv3-telemetry mock collector</h1>
<div class="muted">Live view, refreshed every second. <span id="status">connecting…</span>
  <button id="reset" type="button">Reset</button></div>

<div class="cards">
  <div class="card"><span>requests</span><b id="requests">0</b></div>
  <div class="card"><span>batches</span><b id="batches">0</b></div>
  <div class="card"><span>items</span><b id="items">0</b></div>
  <div class="card"><span>unique items</span><b id="unique_items">0</b></div>
  <div class="card" id="dup-items-card"><span>duplicate item ids</span><b id="duplicate_item_ids">0</b></div>
  <div class="card" id="dup-batches-card"><span>duplicate batch ids</span><b id="duplicate_batch_ids">0</b></div>
</div>

<h2>Per endpoint</h2>
<table>
  <thead><tr><th>endpoint</th><th class="num">requests</th><th class="num">batches</th><th class="num">items</th><th class="num">unique items</th></tr></thead>
  <tbody id="per-endpoint"></tbody>
</table>

<h2>Responses by status</h2>
<div id="per-status" class="muted">none yet</div>

<h2>Latest items</h2>
<table>
  <thead><tr><th>received</th><th>endpoint</th><th>type</th><th>what</th><th>id</th></tr></thead>
  <tbody id="latest-items"></tbody>
</table>

<h2>Latest errors</h2>
<table>
  <thead><tr><th>received</th><th>kind</th><th>message</th><th class="num">count</th></tr></thead>
  <tbody id="latest-errors"></tbody>
</table>

<h2>Latest refused, faulted or dropped requests</h2>
<table>
  <thead><tr><th>#</th><th>received</th><th>endpoint</th><th>status</th><th>batch</th><th>why</th></tr></thead>
  <tbody id="latest-failures"></tbody>
</table>

<script>
"use strict";
const ENDPOINTS = ["events", "errors", "performance", "feedback", "deletion", "sentry", "otlp_logs", "otlp_metrics", "posthog"];
const $ = (id) => document.getElementById(id);

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  return td;
}
function row(cells) {
  const tr = document.createElement("tr");
  for (const c of cells) tr.appendChild(c);
  return tr;
}
function fill(tbody, rows, emptyText, columns) {
  tbody.replaceChildren(...rows);
  if (rows.length === 0) {
    const td = cell(emptyText, "muted");
    td.colSpan = columns;
    tbody.appendChild(row([td]));
  }
}
function time(ms) { return new Date(ms).toLocaleTimeString(); }
function short(value, max) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (text === undefined) return "";
  return text.length > max ? text.slice(0, max) + "…" : text;
}
function describe(item) {
  switch (item.type) {
    case "event": return item.name;
    case "error": return (item.kind ? item.kind + ": " : "") + short(item.message, 120);
    case "timing": return item.name + " p50=" + item.p50 + " p95=" + item.p95 + " (" + item.count + ")";
    case "feedback": return (item.rating !== undefined && item.rating !== null ? "rating " + item.rating + ": " : "") + short(item.message || "", 100);
    default: return short(item, 120);
  }
}

function renderStats(stats) {
  for (const key of ["requests", "batches", "items", "unique_items", "duplicate_item_ids", "duplicate_batch_ids"]) {
    $(key).textContent = stats[key];
  }
  $("dup-items-card").classList.toggle("warn", stats.duplicate_item_ids > 0);
  $("dup-batches-card").classList.toggle("warn", stats.duplicate_batch_ids > 0);
  fill($("per-endpoint"), ENDPOINTS.map((name) => {
    const e = stats.per_endpoint[name] || {};
    return row([cell(name), cell(e.requests, "num"), cell(e.batches, "num"), cell(e.items, "num"), cell(e.unique_items, "num")]);
  }), "", 5);
  const statuses = Object.entries(stats.per_status);
  $("per-status").textContent = statuses.length === 0 ? "none yet" : statuses.map(([code, n]) => code + " × " + n).join("  ·  ");
}

function renderBatches(batches) {
  const items = [];
  const errors = [];
  for (const batch of batches.slice().reverse()) {
    if (batch.endpoint === "deletion") {
      items.push({ at: batch.received_at_ms, endpoint: "deletion", item: { type: "deletion", id: "" }, what: "erase " + (batch.body && batch.body.anonymous_id) });
      continue;
    }
    const list = (batch.body && Array.isArray(batch.body.items)) ? batch.body.items : [];
    for (const item of list.slice().reverse()) {
      items.push({ at: batch.received_at_ms, endpoint: batch.endpoint, item });
      if (item.type === "error") errors.push({ at: batch.received_at_ms, item });
    }
  }
  fill($("latest-items"), items.slice(0, 50).map((e) =>
    row([cell(time(e.at)), cell(e.endpoint), cell(e.item.type), cell(e.what || describe(e.item)), cell(e.item.id, "mono")])
  ), "nothing received yet", 5);
  fill($("latest-errors"), errors.slice(0, 20).map((e) =>
    row([cell(time(e.at)), cell(e.item.kind), cell(short(e.item.message, 300)), cell(e.item.count, "num")])
  ), "no errors received", 4);
}

function renderFailures(requests) {
  const failures = requests.filter((r) => r.status === null || r.status >= 300).reverse().slice(0, 20);
  fill($("latest-failures"), failures.map((r) =>
    row([cell(r.seq, "num"), cell(time(r.received_at_ms)), cell(r.endpoint),
         cell(r.status === null ? "dropped" : r.status, "bad"), cell(r.batch_id, "mono"), cell(r.error)])
  ), "none", 6);
}

async function getJson(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(path + " answered " + response.status);
  return response.json();
}

async function refresh() {
  try {
    const [stats, batches, requests] = await Promise.all([
      getJson("/__mock/stats"), getJson("/__mock/batches?limit=30"), getJson("/__mock/requests?limit=200"),
    ]);
    renderStats(stats);
    renderBatches(batches);
    renderFailures(requests);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
    $("status").className = "good";
  } catch (error) {
    $("status").textContent = "cannot reach the collector: " + error.message;
    $("status").className = "bad";
  } finally {
    setTimeout(refresh, 1000);
  }
}

$("reset").addEventListener("click", async () => {
  if (confirm("Forget every batch, request, counter and fault?")) {
    await fetch("/__mock/reset", { method: "POST" });
  }
});
refresh();
</script>
</body>
</html>
"##;
