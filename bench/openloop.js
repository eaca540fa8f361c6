// Open-loop HTTP load for `make bench`: sends requests at a fixed rate whatever the server's pace
// and measures each one from its scheduled time (no coordinated omission). Node's event loop
// costs far less CPU per request than a Python client, which matters on a 2-core machine.
// usage: node openloop.js <host> <port> <path> <rate> <seconds> <bodies file: "signature\tbody" lines | ->
"use strict";
const http = require("http");
const fs = require("fs");

const [host, port, path, rateArg, secondsArg, bodiesFile] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const lines = bodiesFile && bodiesFile !== "-" ? fs.readFileSync(bodiesFile, "utf8").split("\n").filter(Boolean) : [];
const total = rate * seconds;
const latencies = [];
const statuses = {};
const accepted = {};
let done = 0;
const start = process.hrtime.bigint() + 200_000_000n;
const nowMs = () => Number(process.hrtime.bigint() - start) / 1e6;

function fire(n) {
  const due = (n * 1000) / rate;
  const line = lines.length ? lines[n % lines.length] : "";
  const tab = line.indexOf("\t");
  const signature = tab >= 0 ? line.slice(0, tab) : "";
  const body = tab >= 0 ? line.slice(tab + 1) : "";
  const req = http.request(
    {
      host, port, path, method: lines.length ? "POST" : "GET", agent: false,
      headers: lines.length ? { "Content-Type": "application/json", "X-Signature-256": signature, "Content-Length": Buffer.byteLength(body) } : {},
    },
    (res) => {
      res.resume();
      res.on("end", () => {
        const t = nowMs();
        latencies.push(t - due);
        statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
        if (res.statusCode === 200 && body) accepted[JSON.parse(body).id] = t;
        finish();
      });
    }
  );
  req.on("error", () => {
    statuses["error"] = (statuses["error"] || 0) + 1;
    finish();
  });
  if (body) req.write(body);
  req.end();
}

function finish() {
  done += 1;
  if (done === total) {
    latencies.sort((a, b) => a - b);
    const pick = (q) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] * 100) / 100;
    process.stdout.write(JSON.stringify({ rate_per_s: rate, requests: latencies.length, statuses, p50_ms: pick(0.5), p99_ms: pick(0.99), max_ms: pick(1) }) + "\n");
  }
}

let next = 0;
function tick() {
  const t = nowMs();
  while (next < total && (next * 1000) / rate <= t) fire(next++);
  if (next < total) setTimeout(tick, 1);
}
setTimeout(tick, 200);
