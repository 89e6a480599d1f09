// The npm socket.io-client against a real khorsyio server.
// usage: node client.mjs <url> <scenario> [token]
// Prints one JSON object with what the scenario observed, then exits (0, or 1 on failure).
import { io } from "socket.io-client";

const [url, scenario, token = "let-me-in"] = process.argv.slice(2);
const TIMEOUT_MS = 10000;

function connect(auth = { token }, opts = {}) {
  const socket = io(url, { auth, reconnection: false, timeout: TIMEOUT_MS, ...opts });
  const seen = [];
  socket.onAny((event, data) => seen.push({ event, data }));
  return { socket, seen };
}

function once(socket, event, pred = () => true) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${event}`)), TIMEOUT_MS);
    const handler = (...args) => {
      if (!pred(...args)) return;
      clearTimeout(timer);
      socket.off(event, handler);
      resolve(args[0]);
    };
    socket.on(event, handler);
  });
}

async function connected(peer) {
  if (peer.socket.connected) return;
  await Promise.race([
    once(peer.socket, "connect"),
    once(peer.socket, "connect_error").then((err) => {
      throw new Error(`connect_error: ${err.message}`);
    }),
  ]);
}

let counter = 0;
function traceId() {
  counter += 1;
  return `js-${process.pid}-${counter}`;
}

// Emit a message and wait for `reply` (or "error") with the same trace id.
async function request(peer, eventType, payload, reply) {
  const trace_id = traceId();
  const sameTrace = (data) => data && data.trace_id === trace_id;
  const answer = Promise.race([
    once(peer.socket, reply, sameTrace).then((data) => ({ event: reply, data })),
    once(peer.socket, "error", sameTrace).then((data) => ({ event: "error", data })),
  ]);
  peer.socket.emit("event", { event_type: eventType, payload, trace_id });
  return answer;
}

const scenarios = {
  // A message through Shout -> ReplyHandler; the reply reaches the sender only.
  async chat() {
    const a = connect({ token, user: "ann" });
    const b = connect();
    await Promise.all([connected(a), connected(b)]);
    const answer = await request(a, "chat.msg", { text: "hello" }, "chat.reply");
    // b's own round trip: anything sent to b before it would arrive first.
    const own = await request(b, "chat.msg", { text: "mine" }, "chat.reply");
    const bSaw = b.seen.map((x) => ({ event: x.event, trace_id: x.data && x.data.trace_id }));
    a.socket.close();
    b.socket.close();
    return { answer, own, bSaw, transport: a.socket.io.engine ? "ok" : "closed" };
  },

  // Two clients join a room, a third does not; a message to the room reaches the two.
  async room() {
    const peers = [connect(), connect(), connect()];
    await Promise.all(peers.map(connected));
    const [a, b, c] = peers;
    await request(a, "room.join", { room: "js-room" }, "room.joined");
    await request(b, "room.join", { room: "js-room" }, "room.joined");
    const gotB = once(b.socket, "room.said");
    const gotA = once(a.socket, "room.said");
    a.socket.emit("event", { event_type: "room.say", payload: { room: "js-room", text: "hi all" } });
    const [msgA, msgB] = await Promise.all([gotA, gotB]);
    const own = await request(c, "chat.msg", { text: "c" }, "chat.reply");
    const cSaw = c.seen.map((x) => x.event);
    peers.forEach((p) => p.socket.close());
    return { msgA, msgB, cSaw, own };
  },

  // A payload that does not fit the handler's input type; the connection stays open.
  async bad_payload() {
    const a = connect();
    await connected(a);
    const bad = await request(a, "chat.msg", { text: 42 }, "chat.reply");
    const after = await request(a, "chat.msg", { text: "still here" }, "chat.reply");
    a.socket.close();
    return { bad, after };
  },

  // An event not on the allow-list.
  async forbidden() {
    const a = connect();
    await connected(a);
    const denied = await request(a, "admin.wipe", { text: "all" }, "admin.wiped");
    const after = await request(a, "chat.msg", { text: "ok" }, "chat.reply");
    a.socket.close();
    return { denied, after };
  },

  // A connection the auth hook refuses.
  async rejected_auth() {
    const a = connect({ token: "wrong" });
    const err = await once(a.socket, "connect_error");
    a.socket.close();
    return { message: err.message, connected: a.socket.connected };
  },

  // A message bigger than WS_MAX_MESSAGE_SIZE: the server closes that connection.
  async oversize() {
    const a = connect({ token }, { transports: ["websocket"] });
    await connected(a);
    const closed = once(a.socket, "disconnect");
    a.socket.emit("event", { event_type: "chat.msg", payload: { text: "x".repeat(200000) } });
    const reason = await closed;
    return { reason, seen: a.seen.map((x) => x.event) };
  },
};

const run = scenarios[scenario];
if (!run) {
  console.error(`unknown scenario ${scenario}`);
  process.exit(2);
}
try {
  const result = await run();
  console.log(JSON.stringify(result));
  process.exit(0);
} catch (e) {
  console.log(JSON.stringify({ failed: String(e && e.stack ? e.stack : e) }));
  process.exit(1);
}
