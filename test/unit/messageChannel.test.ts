// The host-worker channel (src/protocol/messageChannel.ts) against real worker threads whose code is
// given inline: replies matched by id whatever their order, partial replies, typed arrays moved in
// transfer lists, malformed messages refused on both sides, errors and a dying worker as rejections.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { MessageChannel as PortPair, Worker } from "node:worker_threads";
import { Check, PortLike, Reply, RequestError, WorkerChannel, buffersOf, serveRequests } from "../../src/protocol/messageChannel";

type Body = { type: "echo"; value: number; delay: number } | { type: "fail"; message: string } | { type: "stream"; n: number } | { type: "sum"; data: Float32Array } | { type: "exit" } | { type: "garble" };
type Result = { value: number } | { sum: number; length: number };

const isReply: Check<Reply<Result, number>> = (m): m is Reply<Result, number> => {
  if (typeof m !== "object" || m === null || typeof (m as { id?: unknown }).id !== "number") return false;
  const r = m as Record<string, unknown>;
  if ("partial" in r) return typeof r.partial === "number";
  if (r.ok === false) return typeof r.message === "string";
  return r.ok === true && typeof r.result === "object" && r.result !== null;
};

// The worker: answers echo after `delay` ms (so replies can overtake each other), fails on request,
// streams n partials, sums a transferred Float32Array, exits, or answers garbage.
const WORKER = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (m) => {
  const id = m.id;
  if (m.type === "echo") setTimeout(() => parentPort.postMessage({ id, ok: true, result: { value: m.value } }), m.delay);
  else if (m.type === "fail") parentPort.postMessage({ id, ok: false, message: m.message, stale: true });
  else if (m.type === "stream") { for (let k = 0; k < m.n; k++) parentPort.postMessage({ id, partial: k }); parentPort.postMessage({ id, ok: true, result: { value: m.n } }); }
  else if (m.type === "sum") parentPort.postMessage({ id, ok: true, result: { sum: m.data.reduce((a, b) => a + b, 0), length: m.data.length } });
  else if (m.type === "exit") process.exit(3);
  else if (m.type === "garble") parentPort.postMessage({ id, ok: "maybe" });
});`;

function channel(failures: string[] = []): WorkerChannel<Body, Result, number> {
  return new WorkerChannel<Body, Result, number>("test worker", () => new Worker(WORKER, { eval: true }), { reply: isReply }, { onFailure: (why) => failures.push(why) });
}

describe("the host's side", () => {
  test("replies are matched by id when they come back out of order", async (t) => {
    const c = channel();
    t.after(() => c.stop("test over"));
    const slow = c.request({ type: "echo", value: 1, delay: 150 });
    const fast = c.request({ type: "echo", value: 2, delay: 0 });
    assert.notEqual(slow.id, fast.id);
    const order: number[] = [];
    const done = await Promise.all([slow.result.then((r) => { order.push(1); return r; }), fast.result.then((r) => { order.push(2); return r; })]);
    assert.deepEqual(order, [2, 1], "the fast reply arrived first");
    assert.deepEqual(done, [{ value: 1 }, { value: 2 }]);
  });

  test("partial replies come before the final one", async (t) => {
    const c = channel();
    t.after(() => c.stop("test over"));
    const partials: number[] = [];
    const r = await c.request({ type: "stream", n: 4 }, { partial: (p) => partials.push(p) }).result;
    assert.deepEqual(partials, [0, 1, 2, 3]);
    assert.deepEqual(r, { value: 4 });
  });

  test("an error reply rejects with its message and details", async (t) => {
    const c = channel();
    t.after(() => c.stop("test over"));
    await assert.rejects(c.request({ type: "fail", message: "no such checkpoint" }).result, (e: unknown) => {
      assert.ok(e instanceof RequestError);
      assert.equal(e.message, "no such checkpoint");
      assert.equal((e as RequestError & { stale?: boolean }).stale, true);
      return true;
    });
  });

  test("a malformed reply rejects its request; the channel goes on", async (t) => {
    const c = channel();
    t.after(() => c.stop("test over"));
    await assert.rejects(c.request({ type: "garble" }).result, /test worker sent a malformed reply/);
    assert.deepEqual(await c.request({ type: "echo", value: 5, delay: 0 }).result, { value: 5 });
  });

  test("typed arrays travel in the transfer list: moved, not copied", async (t) => {
    const c = channel();
    t.after(() => c.stop("test over"));
    const data = Float32Array.from([1, 2, 3.5]);
    const r = c.request({ type: "sum", data }, { transfer: buffersOf(data) });
    assert.equal(data.length, 0, "the sender's view is detached");
    assert.deepEqual(await r.result, { sum: 6.5, length: 3 });
  });

  test("a worker that exits rejects every pending request; the next request starts a fresh one", async (t) => {
    const failures: string[] = [];
    const c = channel(failures);
    t.after(() => c.stop("test over"));
    const pending = c.request({ type: "echo", value: 1, delay: 5000 });
    c.send({ type: "exit", id: -1 });
    await assert.rejects(pending.result, /test worker stopped \(exit 3\)/);
    assert.deepEqual(failures, ["the test worker stopped (exit 3)"]);
    assert.equal(c.running, false);
    assert.deepEqual(await c.request({ type: "echo", value: 9, delay: 0 }).result, { value: 9 });
  });

  test("stop rejects what is pending with the reason given", async () => {
    const c = channel();
    const pending = c.request({ type: "echo", value: 1, delay: 5000 });
    c.stop("the panel was closed");
    await assert.rejects(pending.result, /the panel was closed/);
  });
});

describe("the worker's side", () => {
  type Req = { id: number; type: "double"; x: number };
  const isReq: Check<Req> = (m): m is Req => typeof m === "object" && m !== null && (m as Req).type === "double" && typeof (m as Req).id === "number" && typeof (m as Req).x === "number";

  /** A served port and the replies it posts. */
  function served(handle: (r: Req, reply: Parameters<Parameters<typeof serveRequests<Req, number>>[2]>[1]) => void) {
    const { port1, port2 } = new PortPair();
    serveRequests<Req, number>(port2 as unknown as PortLike, isReq, handle);
    const replies: unknown[] = [];
    const next = () => new Promise<unknown>((resolve) => port1.once("message", (m) => { replies.push(m); resolve(m); }));
    return { post: (m: unknown) => port1.postMessage(m), next, close: () => { port1.close(); port2.close(); } };
  }

  test("a request that fails the check is answered with an error to its id; a throwing handler with its message", async (t) => {
    const s = served((r, reply) => { if (r.x < 0) throw new Error("x must be positive"); reply.ok(2 * r.x); });
    t.after(() => s.close());
    let reply = s.next();
    s.post({ id: 4, type: "double", x: 21 });
    assert.deepEqual(await reply, { id: 4, ok: true, result: 42 });
    reply = s.next();
    s.post({ id: 5, type: "triple", x: 1 });
    assert.deepEqual(await reply, { id: 5, ok: false, message: 'unknown request "triple"' });
    reply = s.next();
    s.post({ id: 6, type: "double", x: "twelve" });
    assert.deepEqual(await reply, { id: 6, ok: false, message: 'unknown request "double"' });
    reply = s.next();
    s.post("nonsense");
    assert.deepEqual(await reply, { id: -1, ok: false, message: "unknown request undefined" });
    reply = s.next();
    s.post({ id: 7, type: "double", x: -1 });
    assert.deepEqual(await reply, { id: 7, ok: false, message: "x must be positive" });
  });
});
