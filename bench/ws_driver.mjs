// Load driver for bench/ws.py: N socket.io-client connections, each doing sequential round
// trips (emit "event" bench.ping, await "bench.pong" with the same trace id) for S seconds.
// usage: node bench/ws_driver.mjs <url> <clients> <seconds>   (prints one JSON line)
// socket.io-client comes from tests/runtime/ws/js (npm ci there).
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "..", "tests", "runtime", "ws", "js", "package.json"));
const { io } = require("socket.io-client");

const [url, clientsArg, secondsArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const seconds = Number(secondsArg);

function open() {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], reconnection: false });
    const waiting = new Map();
    socket.on("bench.pong", (msg) => {
      const done = waiting.get(msg.trace_id);
      if (done) {
        waiting.delete(msg.trace_id);
        done();
      }
    });
    socket.on("error", (err) => reject(new Error(JSON.stringify(err))));
    socket.on("connect", () => resolve({ socket, waiting }));
    socket.on("connect_error", reject);
  });
}

let seq = 0;
function roundTrip(peer) {
  return new Promise((resolve) => {
    seq += 1;
    const trace_id = `b${seq}`;
    peer.waiting.set(trace_id, resolve);
    peer.socket.emit("event", { event_type: "bench.ping", payload: { n: seq }, trace_id });
  });
}

async function loop(peer, until, lat) {
  let n = 0;
  while (performance.now() < until) {
    const t0 = performance.now();
    await roundTrip(peer);
    lat.push(performance.now() - t0);
    n += 1;
  }
  return n;
}

const peers = await Promise.all(Array.from({ length: clients }, open));
await Promise.all(peers.map((p) => loop(p, performance.now() + 500, [])));
const lat = [];
const t0 = performance.now();
const counts = await Promise.all(peers.map((p) => loop(p, t0 + seconds * 1000, lat)));
const elapsed = (performance.now() - t0) / 1000;
peers.forEach((p) => p.socket.close());
lat.sort((a, b) => a - b);
const total = counts.reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    round_trips: total,
    elapsed,
    p50_ms: lat[Math.floor(lat.length / 2)],
    p99_ms: lat[Math.floor(lat.length * 0.99)],
  }),
);
process.exit(0);
