"use strict";
// The Cohort dashboard. Everything here is served by the node itself (no CDN); every data call goes to the node's own
// JSON endpoints and carries the bearer token when the operator signed in. The token is kept in sessionStorage (this tab
// only); a token in the URL fragment (/dashboard#token=...) is taken once, stored, and removed from the address bar.

const TOKEN_KEY = "cohort.dashboard.token";
const REFRESH_MS = 2000;
const TX_LIMIT = 100;
const COLORS = ["#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7c86"];
const TXID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const $ = id => document.getElementById(id);
let token = takeFragmentToken() ?? sessionStorage.getItem(TOKEN_KEY);
let signedOut = false;
let lastSuccess = null;
let failingSince = null;
let openTx = null;
let search = null;
let timer = null;

class Unauthorized extends Error {}

function takeFragmentToken() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!fromHash) return null;
  sessionStorage.setItem(TOKEN_KEY, fromHash);
  history.replaceState(null, "", location.pathname + location.search);
  return fromHash;
}

async function api(path) {
  const headers = token ? { Authorization: "Bearer " + token } : {};
  let response;
  try {
    response = await fetch(path, { headers, cache: "no-store" });
  } catch (e) {
    throw new Error("the node does not answer (" + e.message + ")");
  }
  if (response.status === 401) throw new Unauthorized(path);
  if (!response.ok) {
    let detail = "";
    try { const problem = await response.json(); detail = problem.detail || problem.code || ""; } catch { /* not JSON */ }
    const error = new Error(path + ": HTTP " + response.status + (detail ? " " + detail : ""));
    error.status = response.status;
    throw error;
  }
  return response.json();
}

// ---- small DOM helpers (text only: nothing from the node is ever parsed as HTML) ----
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v; else if (k.startsWith("data-")) node.setAttribute(k, v); else node[k] = v;
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(child == null ? "-" : String(child)));
  return node;
}
function fill(tbody, rows, columns, empty) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { class: "muted", colSpan: columns }, empty))]));
}
function age(ms) {
  if (ms == null) return "never";
  if (ms < 1000) return ms + " ms ago";
  if (ms < 120000) return (ms / 1000).toFixed(1) + " s ago";
  return Math.round(ms / 60000) + " min ago";
}
const time = iso => iso ? new Date(iso).toLocaleTimeString() : "-";

// ---- sign-in ----
function showSignIn(message) {
  $("main").hidden = true;
  $("signin").hidden = false;
  $("signout").hidden = !token;
  const error = $("signin-error");
  error.hidden = !message;
  error.textContent = message || "";
  $("token-input").focus();
}
function showMain() {
  $("signin").hidden = true;
  $("main").hidden = false;
  $("signout").hidden = !token;
}
$("signin-form").addEventListener("submit", event => {
  event.preventDefault();
  token = $("token-input").value.trim();
  $("token-input").value = "";
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  signedOut = false;
  refreshNow();
});
$("signout").addEventListener("click", () => {
  token = null;
  signedOut = true;
  sessionStorage.removeItem(TOKEN_KEY);
  for (const id of ["nodes", "resources", "tx-table", "tx-participants"]) $(id).querySelector("tbody").replaceChildren();
  $("tx-detail").hidden = true;
  openTx = null;
  showSignIn("Signed out.");
});

// ---- the banner: the node does not answer, or answers errors ----
function banner(message) {
  const b = $("banner");
  if (!message) { b.hidden = true; b.textContent = ""; failingSince = null; return; }
  failingSince ??= new Date();
  b.hidden = false;
  b.textContent = "Refresh failed since " + failingSince.toLocaleTimeString() + ": " + message
    + (lastSuccess ? " — showing data from " + lastSuccess.toLocaleTimeString() : "");
}

// ---- nodes and resources ----
function renderCluster(cluster) {
  $("node").textContent = cluster.self || location.host;
  $("master").textContent = cluster.master_addr || "none";
  $("epoch").textContent = cluster.epoch ?? "-";
  const rows = (cluster.nodes || []).map(n => el("tr", { "data-node": n.address, class: n.alive ? "" : "unavailable" },
    el("td", {}, n.address + (n.address === cluster.self ? " (this node)" : "")),
    el("td", {}, n.role === "MASTER" ? "master" : "node"),
    el("td", { class: n.alive ? "up" : "down" }, n.alive ? "alive" : "down"),
    el("td", {}, n.address === cluster.self ? "-" : age(n.last_seen_ms)),
    el("td", {}, (n.resources || []).join(", ") || "-"),
    el("td", {}, n.in_flight ?? 0),
    el("td", {}, n.failures ? (n.consecutive_failures || 0) + " in a row, " + n.failures + " in all" : "none"),
    el("td", { class: n.last_error ? "bad" : "muted" }, n.last_error ? n.last_error + " (" + time(n.last_error_at) + ")" : "-")));
  fill($("nodes").querySelector("tbody"), rows, 8, "no members");
}
function renderResources(answer) {
  const resources = (answer.resources || []).slice().sort((a, b) => (a.available === b.available ? 0 : a.available === false ? -1 : 1) || a.name.localeCompare(b.name));
  const rows = resources.map(r => {
    const available = r.available !== false;
    return el("tr", { "data-resource": r.name, class: available ? "" : "unavailable" },
      el("td", {}, r.name),
      el("td", {}, r.node + (r.replicas && r.replicas.length ? " (replicas: " + r.replicas.join(", ") + ")" : "")),
      el("td", { class: available ? "available" : "unavailable" }, available ? "available" : "unavailable (node down)"));
  });
  fill($("resources").querySelector("tbody"), rows, 3, "no resources");
}

// ---- charts: hand-written SVG line charts ----
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}
function niceMax(max) {
  if (!(max > 0)) return 1;
  const power = Math.pow(10, Math.floor(Math.log10(max)));
  for (const step of [1, 2, 2.5, 5, 10]) if (max <= step * power) return step * power;
  return 10 * power;
}
function format(value) {
  if (value >= 100) return Math.round(value).toString();
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, "");
  return (Math.round(value * 100) / 100).toString();
}
// series: [{ name, values: [[timeMs, value|null], ...] }]
function lineChart(id, series) {
  const chart = $(id);
  const W = 600, H = 170, left = 44, right = 10, top = 8, bottom = 22;
  const points = series.flatMap(s => s.values.filter(v => v[1] != null));
  chart.replaceChildren();
  const legend = $(id.replace("chart-", "legend-"));
  legend.replaceChildren(...series.map((s, i) => el("span", {}, el("i", { style: "background:" + COLORS[i % COLORS.length] }), s.name)));
  if (points.length === 0) {
    chart.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" }, "no samples yet"));
    chart.dataset.points = "0";
    return;
  }
  // The time axis spans every sample (gaps included), so series line up across the charts.
  const times = series.flatMap(s => s.values.map(v => v[0]));
  const t0 = Math.min(...times), t1 = Math.max(...times);
  const span = Math.max(t1 - t0, 1);
  const yMax = niceMax(Math.max(...points.map(p => p[1])));
  const x = t => left + (W - left - right) * (t - t0) / span;
  const y = v => top + (H - top - bottom) * (1 - v / yMax);
  for (const fraction of [0, 0.5, 1]) {
    const yy = y(yMax * fraction);
    chart.append(svg("line", { x1: left, x2: W - right, y1: yy, y2: yy, class: fraction === 0 ? "axis" : "grid" }));
    chart.append(svg("text", { x: left - 4, y: yy + 4, "text-anchor": "end" }, format(yMax * fraction)));
  }
  chart.append(svg("line", { x1: left, x2: left, y1: top, y2: H - bottom, class: "axis" }));
  chart.append(svg("text", { x: left, y: H - 6, "text-anchor": "start" }, new Date(t0).toLocaleTimeString()));
  chart.append(svg("text", { x: W - right, y: H - 6, "text-anchor": "end" }, new Date(t1).toLocaleTimeString()));
  series.forEach((s, i) => {
    // A gap (null) breaks the line; a lone point still shows as a dot.
    let run = [];
    const flush = () => {
      if (run.length > 1) chart.append(svg("polyline", { points: run.join(" "), stroke: COLORS[i % COLORS.length], "data-series": s.name }));
      else if (run.length === 1) { const [cx, cy] = run[0].split(","); chart.append(svg("circle", { cx, cy, r: 2.5, fill: COLORS[i % COLORS.length], "data-series": s.name })); }
      run = [];
    };
    for (const [t, v] of s.values) { if (v == null) flush(); else run.push(x(t).toFixed(1) + "," + y(v).toFixed(1)); }
    flush();
  });
  chart.dataset.points = String(points.length);
}
function renderCharts(stats) {
  const scope = $("chart-scope");
  const nodes = (stats.nodes || []).map(n => n.node);
  const wanted = ["cluster", ...nodes];
  if ([...scope.options].map(o => o.value).join() !== wanted.join()) {
    const chosen = scope.value;
    scope.replaceChildren(el("option", { value: "cluster" }, "cluster (every alive node added up)"), ...nodes.map(n => el("option", { value: n }, "node " + n)));
    scope.value = wanted.includes(chosen) ? chosen : "cluster";
  }
  const samples = scope.value === "cluster" ? stats.samples || [] : ((stats.nodes || []).find(n => n.node === scope.value) || {}).samples || [];
  const at = s => Date.parse(s.at);
  lineChart("chart-throughput", [
    { name: "committed/s", values: samples.map(s => [at(s), s.committed_per_s]) },
    { name: "aborted/s", values: samples.map(s => [at(s), s.aborted_per_s]) }]);
  lineChart("chart-abort-rate", [
    { name: "aborted % of ended", values: samples.map(s => [at(s), s.abort_rate == null ? null : s.abort_rate * 100]) }]);
  lineChart("chart-latency", [
    { name: "p50", values: samples.map(s => [at(s), s.p50_ms]) },
    { name: "p95", values: samples.map(s => [at(s), s.p95_ms]) },
    { name: "p99", values: samples.map(s => [at(s), s.p99_ms]) }]);
  lineChart("chart-in-doubt", [{ name: "in doubt", values: samples.map(s => [at(s), s.in_doubt]) }]);
  const reasons = {};
  for (const s of samples) for (const [reason, count] of Object.entries(s.aborted || {})) reasons[reason] = (reasons[reason] || 0) + count;
  const list = Object.entries(reasons).sort((a, b) => b[1] - a[1]);
  $("abort-reasons").textContent = list.length ? list.map(([r, c]) => r + " " + c).join(", ") : "none";
  const last = samples[samples.length - 1];
  $("in-doubt-count").textContent = last ? last.in_doubt : "?";
}

// ---- transactions ----
async function loadTransactions() {
  const view = $("tx-view").value;
  if (search) {
    return { caption: "label \"" + search + "\", newest first", txs: (await api("/v1/tx?order=newest&limit=" + TX_LIMIT + "&label=" + encodeURIComponent(search))).transactions };
  }
  if (view === "in-progress") {
    const pages = await Promise.all(["active", "preparing", "committing", "in-doubt"].map(s => api("/v1/tx?limit=" + TX_LIMIT + "&state=" + s)));
    return { caption: "active, preparing, committing and in-doubt transactions", txs: pages.flatMap(p => p.transactions).sort((a, b) => b.tx_id.localeCompare(a.tx_id)) };
  }
  const state = view === "recent" ? "" : "&state=" + view;
  return { caption: "the newest " + TX_LIMIT + " the coordinators remember" + (state ? " (" + view + ")" : ""), txs: (await api("/v1/tx?order=newest&limit=" + TX_LIMIT + state)).transactions };
}
function renderTransactions({ caption, txs }) {
  $("tx-caption").textContent = caption + ": " + txs.length;
  const rows = txs.map(t => {
    const row = el("tr", { "data-tx": t.tx_id, "data-state": t.state, class: t.tx_id === openTx ? "selected" : "" },
      el("td", {}, el("code", {}, t.tx_id)),
      el("td", { class: t.state === "aborted" || t.state === "in-doubt" ? "bad" : "" }, t.state),
      el("td", {}, t.label || "-"),
      el("td", {}, (t.participants || []).map(p => p.resource).join(", ") || "-"),
      el("td", {}, t.reason || "-"));
    row.addEventListener("click", () => openTransaction(t.tx_id));
    return row;
  });
  fill($("tx-table").querySelector("tbody"), rows, 5, search ? "no transaction with that label" : "none");
}
async function openTransaction(id) {
  openTx = id;
  try {
    renderDetail(await api("/v1/tx/" + encodeURIComponent(id)));
  } catch (e) {
    if (e instanceof Unauthorized) { clearTimeout(timer); generation++; showSignIn("The node asks for a token."); return; }
    $("tx-detail").hidden = false;
    $("tx-detail-id").textContent = id;
    $("tx-detail-reason").textContent = e.status === 404 ? "not known to any alive coordinator" : e.message;
  }
}
function renderDetail(t) {
  $("tx-detail").hidden = false;
  $("tx-detail-id").textContent = t.tx_id;
  $("tx-detail-state").textContent = t.state;
  $("tx-detail-label").textContent = t.label || "-";
  $("tx-detail-deadline").textContent = t.deadline ? new Date(t.deadline).toLocaleString() : "-";
  $("tx-detail-commit-ts").textContent = t.commit_ts ?? "-";
  $("tx-detail-reason").textContent = t.reason ? "reason: " + t.reason : "";
  fill($("tx-participants").querySelector("tbody"), (t.participants || []).map(p => el("tr", { "data-resource": p.resource },
    el("td", {}, p.resource), el("td", {}, p.node), el("td", {}, p.writes ? "yes" : "no"), el("td", {}, p.vote || "not yet"), el("td", {}, p.acknowledged ? "yes" : "no"))),
  5, "no participants (nothing ran)");
  const timeline = t.timeline || [];
  const start = timeline.length ? Date.parse(timeline[0].at) : 0;
  $("tx-timeline").replaceChildren(...(timeline.length
    ? timeline.map(step => el("li", { "data-state": step.state }, step.state + " at " + new Date(step.at).toLocaleTimeString() + "." + String(new Date(step.at).getMilliseconds()).padStart(3, "0")
      + (Date.parse(step.at) > start ? " (+" + (Date.parse(step.at) - start) + " ms)" : "")))
    : [el("li", { class: "muted" }, "not recorded (the node that coordinated it does not keep timelines)")]));
}
$("tx-detail-close").addEventListener("click", () => { openTx = null; $("tx-detail").hidden = true; });
$("tx-search-form").addEventListener("submit", async event => {
  event.preventDefault();
  const text = $("tx-search").value.trim();
  search = null;
  $("tx-clear").hidden = !text;
  if (TXID.test(text)) await openTransaction(text.toLowerCase());
  else if (text) search = text;
  refreshNow();
});
$("tx-clear").addEventListener("click", () => { search = null; $("tx-search").value = ""; $("tx-clear").hidden = true; refreshNow(); });
$("tx-view").addEventListener("change", () => { search = null; refreshNow(); });
$("chart-scope").addEventListener("change", () => refreshNow());

// ---- the refresh loop ----
// Answers whether to keep polling: not while the sign-in form waits for a token.
async function refresh() {
  if (signedOut && !token) return false;
  try {
    const [cluster, resources, stats, txs] = await Promise.all([
      api("/cluster/nodes"), api("/v1/resources"), api("/v1/stats/samples?scope=cluster"), loadTransactions()]);
    showMain();
    renderCluster(cluster);
    renderResources(resources);
    renderCharts(stats);
    renderTransactions(txs);
    if (openTx) {
      try { renderDetail(await api("/v1/tx/" + encodeURIComponent(openTx))); } catch (e) { if (e instanceof Unauthorized) throw e; }
    }
    lastSuccess = new Date();
    $("updated").textContent = lastSuccess.toLocaleTimeString();
    banner(null);
  } catch (e) {
    if (e instanceof Unauthorized) {
      showSignIn(token ? "The node refused this token." : null);
      return false;
    }
    banner(e.message);
  }
  return true;
}
let generation = 0;
function refreshNow() {
  clearTimeout(timer);
  const mine = ++generation;
  refresh().then(more => { if (more && mine === generation) timer = setTimeout(refreshNow, REFRESH_MS); });
}
// A token pasted into the address bar of an open page (#token=...) signs in without a reload.
window.addEventListener("hashchange", () => {
  const fromHash = takeFragmentToken();
  if (fromHash) { token = fromHash; signedOut = false; refreshNow(); }
});
refreshNow();
