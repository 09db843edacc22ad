// watch() against the real server over real WebSockets: the built bundle's
// one socket (wx.connectSocket, emulated over the ws package), snapshots,
// the result the SDK keeps, reconnects, token renewal, close().
import assert from "node:assert/strict";
import { after, afterEach, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let alice; // { app, db, _, device, id, token() }
let bob;
const devices = [];
const open = []; // watchers to close after each test

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function signIn(user) {
    const device = new Device({ user });
    devices.push(device);
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    const { record, openid } = await app.login();
    const db = app.database();
    return { app, db, _: db.command, device, id: record.id, openid, token: () => app.pb.authStore.token };
}

/**
 * watch starts query.watch() and collects what it delivers: next() waits
 * for the next snapshot (or error), idle() asserts that nothing arrives.
 */
function watch(query) {
    const events = [];
    const waiters = [];
    const push = (event) => {
        const waiter = waiters.shift();
        if (waiter) waiter(event);
        else events.push(event);
    };
    const watcher = query.watch({
        onChange: (snapshot) => push({ snapshot: plain(snapshot) }),
        onError: (error) => push({ error }),
    });
    open.push(watcher);
    return {
        watcher,
        async next(ms = 5000) {
            const event =
                events.shift() ||
                (await new Promise((resolve, reject) => {
                    const timer = setTimeout(() => reject(new Error("no snapshot within " + ms + " ms")), ms);
                    waiters.push((e) => {
                        clearTimeout(timer);
                        resolve(e);
                    });
                }));
            if (event.error) throw event.error;
            return event.snapshot;
        },
        async nextError(ms = 5000) {
            const event = events.shift() || (await new Promise((resolve) => waiters.push(resolve)));
            assert.ok(event.error, "expected an error, got " + JSON.stringify(event.snapshot));
            return event.error;
        },
        async idle(ms = 800) {
            await sleep(ms);
            assert.deepEqual(events.map((e) => e.snapshot || e.error.message), []);
        },
    };
}

const ids = (snap) => snap.docs.map((d) => d._id);
const field = (snap, name) => snap.docs.map((d) => d[name]);
const changes = (snap) => snap.docChanges.map((c) => [c.dataType, c.queueType, c.docId]);
const add = async (who, data) => (await who.db.collection("todos").add({ data }))._id;
const socketsOf = (who) => who.device.sockets;
const waitFor = async (cond, ms = 5000) => {
    const deadline = Date.now() + ms;
    while (!cond()) {
        if (Date.now() > deadline) throw new Error("timed out waiting for " + cond);
        await sleep(20);
    }
};

before(async () => {
    server = await startServer();
    await server.createCollection({
        name: "todos",
        ...creatorOnly,
        fields: [ownerField, { name: "group", type: "text" }, { name: "title", type: "text" }, { name: "n", type: "number" }, { name: "done", type: "bool" }],
    });
    alice = await signIn("watch-alice");
    bob = await signIn("watch-bob");
});

afterEach(async () => {
    await Promise.all(open.splice(0).map((w) => w.close()));
});

after(async () => {
    for (const device of devices) device.dispose();
    await server?.stop();
});

describe("snapshots", () => {
    test("an init snapshot, then add, update and remove for the user's REST writes, in the query's order", async () => {
        const a = await add(alice, { group: "crud", title: "a", n: 2 });
        const b = await add(alice, { group: "crud", title: "b", n: 1 });
        const w = watch(alice.db.collection("todos").where({ group: "crud" }).orderBy("n", "asc"));

        const init = await w.next();
        assert.equal(init.type, "init");
        assert.deepEqual(ids(init), [b, a]);
        assert.deepEqual(changes(init), [
            ["init", "init", b],
            ["init", "init", a],
        ]);
        const doc = init.docs[1];
        // The documents of get(): _openid the owner's openid, owner the relation.
        assert.equal(doc._openid, alice.openid);
        assert.equal(doc.owner, alice.id);
        assert.equal(doc.title, "a");
        assert.equal("id" in doc, false);

        const c = await add(alice, { group: "crud", title: "c", n: 0 });
        const added = await w.next();
        assert.equal("type" in added, false);
        assert.deepEqual(changes(added), [["add", "enqueue", c]]);
        assert.deepEqual(ids(added), [c, b, a]);
        assert.equal(added.docChanges[0].doc._openid, alice.openid);

        await alice.db.collection("todos").doc(c).update({ data: { n: 5, title: "c2" } });
        const updated = await w.next();
        assert.deepEqual(changes(updated), [["update", "update", c]]);
        assert.equal(updated.docChanges[0].doc.title, "c2");
        assert.deepEqual(ids(updated), [b, a, c], "re-sorted by n");
        assert.ok(updated.id > added.id);

        await alice.db.collection("todos").doc(b).remove();
        const removed = await w.next();
        assert.deepEqual(changes(removed), [["remove", "dequeue", b]]);
        assert.equal(removed.docChanges[0].doc.title, "b", "a remove carries the document as it was");
        assert.deepEqual(ids(removed), [a, c]);
        await w.idle(300);
    });

    test("a record leaving the filter is removed; coming back, it is added", async () => {
        const x = await add(alice, { group: "leave", title: "x", done: false });
        const w = watch(alice.db.collection("todos").where({ group: "leave", done: false }));
        assert.deepEqual(ids(await w.next()), [x]);

        await alice.db.collection("todos").doc(x).update({ data: { done: true } });
        const left = await w.next();
        assert.deepEqual(changes(left), [["remove", "dequeue", x]]);
        assert.deepEqual(left.docs, []);

        await alice.db.collection("todos").doc(x).update({ data: { done: false } });
        const back = await w.next();
        assert.deepEqual(changes(back), [["add", "enqueue", x]]);
        assert.deepEqual(ids(back), [x]);
    });

    test("another user's records never appear, before or after the snapshot", async () => {
        await add(bob, { group: "mine", title: "bob's before" });
        const own = await add(alice, { group: "mine", title: "alice's" });
        const w = watch(alice.db.collection("todos").where({ group: "mine" }));
        assert.deepEqual(ids(await w.next()), [own]);

        const bobs = await add(bob, { group: "mine", title: "bob's after" });
        await bob.db.collection("todos").doc(bobs).update({ data: { n: 3 } });
        // Alice's next write is the next snapshot: Bob's writes made none.
        const mine = await add(alice, { group: "mine", title: "alice's second" });
        const next = await w.next();
        assert.deepEqual(changes(next), [["add", "enqueue", mine]]);
        assert.deepEqual(ids(next), [own, mine]);
        assert.ok(next.docs.every((d) => d._openid === alice.openid));
        // Bob's own watch sees only his.
        const wb = watch(bob.db.collection("todos").where({ group: "mine" }));
        assert.deepEqual(field(await wb.next(), "title").sort(), ["bob's after", "bob's before"]);
    });

    test("with limit(), docs is that window of the ordered result", async () => {
        const n1 = await add(alice, { group: "top", n: 1 });
        const n2 = await add(alice, { group: "top", n: 2 });
        const n3 = await add(alice, { group: "top", n: 3 });
        const w = watch(alice.db.collection("todos").where({ group: "top" }).orderBy("n", "desc").limit(2));
        const init = await w.next();
        assert.deepEqual(ids(init), [n3, n2]);
        assert.equal(init.docChanges.length, 2);

        const n5 = await add(alice, { group: "top", n: 5 });
        const entered = await w.next();
        assert.deepEqual(ids(entered), [n5, n3]);
        assert.deepEqual(changes(entered).sort(), [
            ["add", "enqueue", n5],
            ["remove", "dequeue", n2],
        ].sort());

        await alice.db.collection("todos").doc(n3).update({ data: { n: 0 } });
        const moved = await w.next();
        assert.deepEqual(ids(moved), [n5, n2]);
        assert.deepEqual(changes(moved).sort(), [
            ["add", "enqueue", n2],
            ["remove", "dequeue", n3],
        ].sort());

        // A change outside the window delivers nothing.
        await alice.db.collection("todos").doc(n1).update({ data: { title: "still last" } });
        await w.idle(600);
    });

    test("doc(id).watch() follows one record", async () => {
        const id = await add(alice, { group: "one", title: "solo" });
        await add(alice, { group: "one", title: "other" });
        const w = watch(alice.db.collection("todos").doc(id));
        assert.deepEqual(field(await w.next(), "title"), ["solo"]);
        await alice.db.collection("todos").doc(id).remove();
        assert.deepEqual(changes(await w.next()), [["remove", "dequeue", id]]);
    });

    test("a refused watch reaches only its own onError; the socket's other watches go on", async () => {
        const good = watch(alice.db.collection("todos").where({ group: "refused" }));
        await good.next();
        const bad = watch(alice.db.collection("nope"));
        const err = await bad.nextError();
        assert.equal(err.code, "watch_collection_not_found");
        assert.equal(err.name, "WxbaseError");
        const id = await add(alice, { group: "refused" });
        assert.deepEqual(changes(await good.next()), [["add", "enqueue", id]]);
    });

    test("when an admin changes the rules, the watch starts over with a fresh init", async () => {
        const everyone = '@request.auth.id != ""';
        const board = await server.createCollection({
            name: "board",
            listRule: everyone,
            viewRule: everyone,
            createRule: everyone,
            updateRule: creatorOnly.updateRule,
            deleteRule: creatorOnly.deleteRule,
            fields: [ownerField, { name: "title", type: "text" }],
        });
        const mine = (await alice.db.collection("board").add({ data: { title: "alice's" } }))._id;
        await bob.db.collection("board").add({ data: { title: "bob's" } });
        const w = watch(alice.db.collection("board").orderBy("title", "asc"));
        assert.deepEqual(field(await w.next(), "title"), ["alice's", "bob's"]);

        await server.must("PATCH", `/api/collections/${board.id}`, { listRule: creatorOnly.listRule });
        const again = await w.next();
        assert.equal(again.type, "init");
        assert.deepEqual(ids(again), [mine]);
        assert.deepEqual(changes(again), [["init", "init", mine]]);
    });

    test("watch() refuses what the facade refuses, at once", () => {
        assert.throws(() => alice.db.collection("todos").watch({ onChange() {} }), (e) => e.code === "wxbase_unsupported");
        assert.throws(
            () => alice.db.collection("todos").where({ tags: ["a"] }).watch({ onChange() {}, onError() {} }),
            (e) => e.code === "wxbase_unsupported",
        );
    });
});

describe("the socket", () => {
    test("two watchers share one socket; close() stops delivery and the last one closes the socket", async () => {
        const carol = await signIn("watch-carol");
        const w1 = watch(carol.db.collection("todos").where({ group: "share" }));
        const w2 = watch(carol.db.collection("todos").where({ group: "share" }).orderBy("n", "desc"));
        await w1.next();
        await w2.next();
        assert.equal(socketsOf(carol).length, 1);
        const [task] = socketsOf(carol);
        assert.deepEqual(
            task.sent.map((m) => m.type),
            ["auth", "watch", "watch"],
        );

        await w1.watcher.close();
        const id = await add(carol, { group: "share" });
        assert.deepEqual(changes(await w2.next()), [["add", "enqueue", id]]);
        await w1.idle(500);
        assert.ok(task.sent.some((m) => m.type === "unwatch"));

        await w2.watcher.close();
        await waitFor(() => task.state === "closed");
        await add(carol, { group: "share" });
        await w2.idle(500);
        assert.equal(socketsOf(carol).length, 1, "no reconnect after a deliberate close");

        // A new watch opens a new socket.
        const w3 = watch(carol.db.collection("todos").where({ group: "share" }));
        assert.equal((await w3.next()).docs.length, 2);
        assert.equal(socketsOf(carol).length, 2);
    });

    test("a dropped socket reconnects, sends auth and every watch again, and each watch gets a fresh init", async () => {
        const dave = await signIn("watch-dave");
        const first = await add(dave, { group: "drop", n: 1 });
        const w1 = watch(dave.db.collection("todos").where({ group: "drop" }));
        const w2 = watch(dave.db.collection("todos").where({ group: "drop", n: 2 }));
        await w1.next();
        await w2.next();

        dave.device.dropSockets();
        // Written while the socket is down: the fresh init has it.
        const second = await add(dave, { group: "drop", n: 2 });
        const again = await w1.next();
        assert.equal(again.type, "init");
        assert.deepEqual(ids(again).sort(), [first, second].sort());
        const again2 = await w2.next();
        assert.equal(again2.type, "init");
        assert.deepEqual(ids(again2), [second]);

        assert.equal(socketsOf(dave).length, 2);
        const task = socketsOf(dave)[1];
        assert.deepEqual(
            task.sent.map((m) => m.type),
            ["auth", "watch", "watch"],
        );
        assert.equal(task.sent[0].token, dave.token());
        // Changes flow on the new socket.
        const third = await add(dave, { group: "drop", n: 3 });
        assert.deepEqual(changes(await w1.next()), [["add", "enqueue", third]]);
    });

    test("hidden, a dropped socket waits; wx.onAppShow reconnects it", async () => {
        const erin = await signIn("watch-erin");
        const w = watch(erin.db.collection("todos").where({ group: "show" }));
        await w.next();
        erin.device.hide();
        erin.device.dropSockets();
        // The backoff's first retry is within 1 s: none while hidden.
        await w.idle(2500);
        assert.equal(socketsOf(erin).length, 1);
        const id = await add(erin, { group: "show" });
        erin.device.show();
        const init = await w.next();
        assert.equal(init.type, "init");
        assert.deepEqual(ids(init), [id]);
        assert.equal(socketsOf(erin).length, 2);
    });

    test("offline, no retries; wx.onNetworkStatusChange to connected reconnects", async () => {
        const fay = await signIn("watch-fay");
        const w = watch(fay.db.collection("todos").where({ group: "net" }));
        await w.next();
        fay.device.setNetwork(false);
        await w.idle(2500);
        assert.equal(socketsOf(fay).length, 1);
        fay.device.setNetwork(true);
        const init = await w.next();
        assert.equal(init.type, "init");
        assert.equal(socketsOf(fay).length, 2);
    });

    test("a failed reconnect backs off and tries again", async () => {
        const gil = await signIn("watch-gil");
        const w = watch(gil.db.collection("todos").where({ group: "retry" }));
        await w.next();
        // The network is down but WeChat has not said so: connectSocket fails.
        gil.device.online = false;
        gil.device.dropSockets();
        await waitFor(() => socketsOf(gil).length >= 3, 8000);
        gil.device.online = true;
        assert.equal((await w.next(20000)).type, "init");
        assert.equal(gil.device.openSockets().length, 1);
    });

    test("a ping goes every 25 s and the server answers", async () => {
        const hal = await signIn("watch-hal");
        const w = watch(hal.db.collection("todos").where({ group: "ping" }));
        await w.next();
        const pings = hal.device.intervals.filter((i) => i.ms === 25000);
        assert.equal(pings.length, 1);
        pings[0].fn();
        const [task] = socketsOf(hal);
        await waitFor(() => task.received.some((m) => m.type === "pong"));
        assert.equal(task.sent.at(-1).type, "ping");
    });

    test("a renewed token is sent on the open socket, which stays", async () => {
        const ida = await signIn("watch-ida");
        const w = watch(ida.db.collection("todos").where({ group: "renew" }));
        await w.next();
        const [task] = socketsOf(ida);
        const before = ida.token();
        // A token is the same within one second (its exp is in seconds).
        await sleep(1100);
        await ida.app.login();
        assert.notEqual(ida.token(), before);
        await waitFor(() => task.sent.filter((m) => m.type === "auth").length === 2);
        assert.equal(task.sent.at(-1).token, ida.token());
        // The server accepted it (an auth answer, not an error), on the same socket.
        await waitFor(() => task.received.filter((m) => m.type === "auth").length === 2);
        assert.equal(task.received.some((m) => m.type === "error"), false);
        const id = await add(ida, { group: "renew" });
        assert.deepEqual(changes(await w.next()), [["add", "enqueue", id]]);
        assert.equal(socketsOf(ida).length, 1);
    });

    test("a deleted user's watches end with onError (realtime_auth_revoked), and no reconnect", async () => {
        const jo = await signIn("watch-jo");
        const w1 = watch(jo.db.collection("todos").where({ group: "gone" }));
        const w2 = watch(jo.db.collection("todos"));
        await w1.next();
        await w2.next();
        await server.must("DELETE", `/api/collections/users/records/${jo.id}`);
        const err = await w1.nextError();
        assert.equal(err.code, "realtime_auth_revoked");
        assert.equal(err.data.closeCode, 4003);
        assert.equal((await w2.nextError()).code, "realtime_auth_revoked");
        await sleep(1500);
        assert.equal(socketsOf(jo).length, 1);
    });
});

describe("large results", () => {
    test("an init over 500 records comes in chunks and is delivered whole", async () => {
        const lee = await signIn("watch-lee");
        for (let i = 0; i < 600; i += 50) {
            const requests = Array.from({ length: 50 }, (_, j) => ({
                method: "POST",
                url: "/api/collections/todos/records",
                body: { owner: lee.id, group: "big", n: i + j },
            }));
            await server.must("POST", "/api/batch", { requests });
        }
        const w = watch(lee.db.collection("todos").where({ group: "big" }).orderBy("n", "desc"));
        const init = await w.next();
        assert.equal(init.type, "init");
        assert.equal(init.docs.length, 600);
        assert.equal(init.docChanges.length, 600);
        assert.deepEqual(field(init, "n").slice(0, 3), [599, 598, 597]);
        const [task] = socketsOf(lee);
        assert.equal(task.received.filter((m) => m.type === "snapshot").length, 2, "two chunks on the wire");
        await w.idle(300);
    });
});

// Last: they shorten every user token's lifetime on this server.
describe("token expiry", () => {
    const tokenExp = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp;
    let saved;
    before(async () => {
        saved = (await server.must("GET", "/api/collections/users")).authToken.duration;
        // 10 s is PocketBase's shortest token lifetime.
        await server.must("PATCH", "/api/collections/users", { authToken: { duration: 10 } });
    });
    after(async () => {
        await server.must("PATCH", "/api/collections/users", { authToken: { duration: saved } });
    });

    test("the SDK renews the token before it runs out and sends it on the same socket", async () => {
        const max = await signIn("watch-max");
        const w = watch(max.db.collection("todos").where({ group: "expiry" }));
        await w.next();
        const first = max.token();
        const [task] = socketsOf(max);
        await waitFor(() => task.sent.filter((m) => m.type === "auth").length === 2, 10000);
        const renewed = task.sent.at(-1).token;
        assert.ok(tokenExp(renewed) > tokenExp(first));
        assert.equal(renewed, max.token());
        assert.equal(max.device.requestsTo("/auth-refresh").length, 1);
        // Past the first token's expiry the socket still serves the watch.
        await sleep(tokenExp(first) * 1000 - Date.now() + 1000);
        const id = await add(max, { group: "expiry" });
        assert.deepEqual(changes(await w.next()), [["add", "enqueue", id]]);
        assert.equal(socketsOf(max).length, 1);
    });

    test("closed with 4001 (the token expired), the SDK logs in and reconnects with a fresh init", async () => {
        const ned = await signIn("watch-ned");
        const first = ned.token();
        // Hold the SDK's renewal until after the expiry: the server closes with 4001.
        ned.device.beforeAnswer = async (req) => {
            if (req.url.endsWith("/auth-refresh")) await sleep(tokenExp(first) * 1000 - Date.now() + 3000);
        };
        const w = watch(ned.db.collection("todos").where({ group: "expired" }));
        await w.next();
        const id = await add(ned, { group: "expired" });
        assert.equal((await w.next()).docChanges.length, 1);
        const logins = ned.device.requestsTo("/auth-with-wechat").length;

        const init = await w.next(15000);
        assert.equal(init.type, "init");
        assert.deepEqual(ids(init), [id]);
        assert.equal(socketsOf(ned)[0].closeEvent.code, 4001);
        assert.equal(ned.device.requestsTo("/auth-with-wechat").length, logins + 1, "one login after the 4001");
        assert.equal(socketsOf(ned).length, 2);
        assert.notEqual(socketsOf(ned)[1].sent[0].token, first);
        ned.device.beforeAnswer = null;
    });
});
