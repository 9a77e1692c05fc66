// The dashboard's live parts: the journal (polled from /_mock/requests, written with textContent
// only: a journaled path is whatever a client sent), the server-rendered summary (polled and
// swapped in), and the buttons, which call the control plane's own endpoints.
"use strict";
const config = JSON.parse(document.getElementById("page-config").textContent);
const headers = config.namespace === "default" ? {} : {"X-Mock-Namespace": config.namespace};
const POLL_MS = 1000;
const SHOWN = 200;  // the newest rows; the journal itself holds up to its capacity
const filters = document.getElementById("filters");
const status = document.getElementById("status");
let shown = "";  // what the journal table shows, to leave it alone (and a selection in it) when unchanged
let polling = false;

async function call(path, method = "GET") {
  const response = await fetch(path, {method, headers});
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response;
}

function cells(entry) {
  const query = entry.query.map(([name, value]) => `${name}=${value}`).join("&");
  return [entry.seq, new Date(entry.time * 1000).toLocaleTimeString([], {hour12: false}), entry.method,
          entry.path + (query ? `?${query}` : ""), entry.status,
          entry.refusal ? entry.refusal.message : "", entry.fault ? `#${entry.fault.id} ${entry.fault.action}` : "",
          entry.duration_ms.toFixed(1)];
}

function showJournal(body) {
  const troubled = filters.elements.troubled.checked;
  const entries = body.requests.filter((entry) => !troubled || entry.refusal || entry.fault);
  const key = JSON.stringify([troubled, entries.length, entries.at(-1)?.seq]);
  document.getElementById("journal-count").textContent = `${entries.length} of ${body.capacity} kept`;
  if (key === shown) return;
  shown = key;
  const rows = entries.slice(-SHOWN).reverse().map((entry) => {
    const row = document.createElement("tr");
    row.className = `status-${String(entry.status).charAt(0)}`;
    for (const text of cells(entry)) row.insertCell().textContent = String(text);
    return row;
  });
  document.querySelector("#journal tbody").replaceChildren(...rows);
}

async function showSummary() {
  const html = await (await call("dashboard/summary")).text();
  const fresh = new DOMParser().parseFromString(html, "text/html").getElementById("summary");
  const current = document.getElementById("summary");
  if (fresh && fresh.innerHTML !== current.innerHTML) current.replaceWith(fresh);
}

async function poll() {
  if (polling) return;
  polling = true;
  try {
    const wanted = new URLSearchParams();
    for (const name of ["method", "status", "path"]) {
      const value = filters.elements[name].value.trim();
      if (value) wanted.set(name, value);
    }
    showJournal(await (await call(`requests?${wanted}`)).json());
    await showSummary();
    status.textContent = "";
  } catch (error) {
    status.textContent = `the mock does not answer: ${error.message}`;
  } finally {
    polling = false;
  }
}

document.querySelectorAll("button[data-path]").forEach((button) => {
  button.addEventListener("click", async () => {
    try {
      await call(button.dataset.path, button.dataset.method);
      status.textContent = `${button.textContent}: done`;
    } catch (error) {
      status.textContent = error.message;
    }
    shown = "";
    poll();
  });
});
filters.addEventListener("input", () => { shown = ""; poll(); });
filters.addEventListener("submit", (event) => event.preventDefault());
poll();
setInterval(poll, POLL_MS);
